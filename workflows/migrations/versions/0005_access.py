"""Access: the staff session epoch (deactivating ends sessions), a version on escalations (one claim wins)

Revision ID: 0005_access
Revises: 0004_knowledge
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_access"
down_revision = "0004_knowledge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("version")
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("session_epoch")
