"""Staff session epoch: deactivating an account ends its sessions

Revision ID: 0005_staff_sessions
Revises: 0004_knowledge
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_staff_sessions"
down_revision = "0004_knowledge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("session_epoch")
