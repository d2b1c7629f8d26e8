"""repairs: who reported a work order (an owner, or the system for an alarm sensor)

Revision ID: 0009_repair_reporter
Revises: 0008_walk_ins
"""

import sqlalchemy as sa
from alembic import op

revision = '0009_repair_reporter'
down_revision = '0008_walk_ins'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('repair_tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reporter', sa.Enum('owner', 'system', name='reporter', native_enum=False,
                                                          length=12), server_default='owner', nullable=False))
    # Alarm work orders opened before this column named their sensor as the openid: they were never an owner's.
    op.execute("UPDATE repair_tickets SET reporter = 'system' WHERE openid LIKE 'device:%'")


def downgrade() -> None:
    with op.batch_alter_table('repair_tickets', schema=None) as batch_op:
        batch_op.drop_column('reporter')
