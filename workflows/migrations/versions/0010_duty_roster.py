"""duty roster: which security staff are on duty when, per community

Revision ID: 0010_duty_roster
Revises: 0009_repair_reporter
"""

import sqlalchemy as sa
from alembic import op

import workflows.db

revision = '0010_duty_roster'
down_revision = '0009_repair_reporter'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('duty_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('weekdays', sa.String(length=7), nullable=False),
    sa.Column('starts', sa.Time(), nullable=False),
    sa.Column('ends', sa.Time(), nullable=False),
    sa.Column('label', sa.String(length=20), nullable=False),
    sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_duty_shifts_community_id_communities')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_duty_shifts_staff_id_staff_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_shifts'))
    )
    with op.batch_alter_table('duty_shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duty_shifts_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_shifts_staff_id'), ['staff_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('duty_shifts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duty_shifts_staff_id'))
        batch_op.drop_index(batch_op.f('ix_duty_shifts_community_id'))
    op.drop_table('duty_shifts')
