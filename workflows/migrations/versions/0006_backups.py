"""Backups (数据备份与灾备): one row per backup run

Revision ID: 0006_backups
Revises: 0005_community_settings
"""

import sqlalchemy as sa
from alembic import op

import workflows.db

revision = "0006_backups"
down_revision = "0005_community_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backup_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheduled_for", sa.Date(), nullable=True),
        sa.Column("status", sa.Enum("running", "ok", "failed", name="backupstatus", native_enum=False, length=16),
                  nullable=False),
        sa.Column("started_at", workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", workflows.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("destination", sa.String(length=300), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_runs")),
        sa.UniqueConstraint("scheduled_for", name=op.f("uq_backup_runs_scheduled_for")),
    )


def downgrade() -> None:
    op.drop_table("backup_runs")
