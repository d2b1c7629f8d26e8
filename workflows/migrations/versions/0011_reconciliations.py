"""payments: daily reconciliations against the provider's trade bill

Revision ID: 0011_reconciliations
Revises: 0010_duty_roster
"""

import sqlalchemy as sa
from alembic import op

import workflows.db

revision = '0011_reconciliations'
down_revision = '0010_duty_roster'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reconciliations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('bill_date', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('trades_there', sa.Integer(), nullable=False),
    sa.Column('paid_there_fen', sa.BigInteger(), nullable=False),
    sa.Column('refunds_there', sa.Integer(), nullable=False),
    sa.Column('paid_here', sa.Integer(), nullable=False),
    sa.Column('paid_here_fen', sa.BigInteger(), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('missing_here', sa.Integer(), nullable=False),
    sa.Column('missing_there', sa.Integer(), nullable=False),
    sa.Column('amount_differs', sa.Integer(), nullable=False),
    sa.Column('run_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliations')),
    sa.UniqueConstraint('provider', 'bill_date', name=op.f('uq_reconciliations_provider'))
    )


def downgrade() -> None:
    op.drop_table('reconciliations')
