"""Community settings: the property office's working hours per community (小区设置)

Revision ID: 0005_community_settings
Revises: 0005_access
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_community_settings"
down_revision = "0005_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("communities") as batch:
        batch.add_column(sa.Column("working_hours", sa.String(length=16), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("communities") as batch:
        batch.drop_column("working_hours")
