"""FAQ assistant: FAQ entries, feedback and unanswered questions

Revision ID: 0004_knowledge
Revises: 0003_repairs_complaints
"""

import sqlalchemy as sa
from alembic import op

import workflows.db

revision = "0004_knowledge"
down_revision = "0003_repairs_complaints"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('faq_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('faq', 'doc', name='faqkind', native_enum=False, length=8), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('question', sa.String(length=300), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('alternatives', sa.JSON(), nullable=False),
    sa.Column('citation', sa.String(length=300), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_faq_entries_community_id_communities')),
    sa.ForeignKeyConstraint(['created_by_staff_id'], ['staff_users.id'],
                            name=op.f('fk_faq_entries_created_by_staff_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_entries'))
    )
    op.create_index(op.f('ix_faq_entries_community_id'), 'faq_entries', ['community_id'], unique=False)
    op.create_index(op.f('ix_faq_entries_content_hash'), 'faq_entries', ['content_hash'], unique=False)
    op.create_index(op.f('ix_faq_entries_source'), 'faq_entries', ['source'], unique=False)
    op.create_table('faq_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_faq_feedback_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_feedback'))
    )
    op.create_index(op.f('ix_faq_feedback_community_id'), 'faq_feedback', ['community_id'], unique=False)
    op.create_index(op.f('ix_faq_feedback_created_at'), 'faq_feedback', ['created_at'], unique=False)
    op.create_table('faq_unanswered',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('question_key', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Enum('unknown', 'unhelpful', 'handover', name='unansweredreason', native_enum=False,
                                length=16), nullable=False),
    sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'],
                            name=op.f('fk_faq_unanswered_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_unanswered'))
    )
    op.create_index(op.f('ix_faq_unanswered_community_id'), 'faq_unanswered', ['community_id'], unique=False)
    op.create_index(op.f('ix_faq_unanswered_created_at'), 'faq_unanswered', ['created_at'], unique=False)
    op.create_index(op.f('ix_faq_unanswered_question_key'), 'faq_unanswered', ['question_key'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_faq_unanswered_question_key'), table_name='faq_unanswered')
    op.drop_index(op.f('ix_faq_unanswered_created_at'), table_name='faq_unanswered')
    op.drop_index(op.f('ix_faq_unanswered_community_id'), table_name='faq_unanswered')
    op.drop_table('faq_unanswered')
    op.drop_index(op.f('ix_faq_feedback_created_at'), table_name='faq_feedback')
    op.drop_index(op.f('ix_faq_feedback_community_id'), table_name='faq_feedback')
    op.drop_table('faq_feedback')
    op.drop_index(op.f('ix_faq_entries_source'), table_name='faq_entries')
    op.drop_index(op.f('ix_faq_entries_content_hash'), table_name='faq_entries')
    op.drop_index(op.f('ix_faq_entries_community_id'), table_name='faq_entries')
    op.drop_table('faq_entries')
