"""Versions on binding requests, announcements and activities: two staff deciding, publishing or cancelling the same
row at once, one wins (apply_transition turns the other's flush into a conflict)

Revision ID: 0012_transition_versions
Revises: 0011_reconciliations
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_transition_versions"
down_revision = "0011_reconciliations"
branch_labels = None
depends_on = None

TABLES = ("binding_requests", "announcements", "activities")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
