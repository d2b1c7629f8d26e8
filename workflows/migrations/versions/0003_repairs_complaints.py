"""Repairs and complaints work orders (filled by the repairs issue)

Revision ID: 0003_repairs_complaints
Revises: 0002_backoffice
"""

import sqlalchemy as sa
from alembic import op

import workflows.db

revision = "0003_repairs_complaints"
down_revision = "0002_backoffice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('repair_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('skill', sa.String(length=20), nullable=False),
    sa.Column('resolve_hours', sa.Integer(), nullable=False),
    sa.Column('sort_key', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_repair_categories_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_categories')),
    sa.UniqueConstraint('community_id', 'name', name=op.f('uq_repair_categories_community_id'))
    )
    with op.batch_alter_table('repair_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_categories_community_id'), ['community_id'], unique=False)

    op.create_table('complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('about_staff_id', sa.Integer(), nullable=True),
    sa.Column('about_staff_text', sa.String(length=50), nullable=False),
    sa.Column('status', sa.Enum('received', 'in_progress', 'replied', 'resolved', 'unsatisfied', 'escalated', 'closed', name='complaintstatus', native_enum=False, length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('respond_by', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('respond_breached_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('replied_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submission_key', sa.String(length=80), nullable=True),
    sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['about_staff_id'], ['staff_users.id'], name=op.f('fk_complaints_about_staff_id_staff_users')),
    sa.ForeignKeyConstraint(['assignee_id'], ['staff_users.id'], name=op.f('fk_complaints_assignee_id_staff_users')),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_complaints_building_id_buildings')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_complaints_community_id_communities')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_complaints_household_id_households')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_complaints_resident_id_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints')),
    sa.UniqueConstraint('number', name=op.f('uq_complaints_number')),
    sa.UniqueConstraint('submission_key', name=op.f('uq_complaints_submission_key'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_complaints_community_status', ['community_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_openid'), ['openid'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_status'), ['status'], unique=False)

    op.create_table('repair_tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('public_area', sa.Boolean(), nullable=False),
    sa.Column('location_text', sa.String(length=200), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.Enum('normal', 'urgent', name='priority', native_enum=False, length=12), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('preferred_from', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('preferred_to', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('status', sa.Enum('pending_dispatch', 'dispatched', 'accepted', 'in_progress', 'awaiting_parts', 'completed', 'rated', 'closed', 'cancelled', name='repairstatus', native_enum=False, length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('respond_by', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolve_by', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('respond_breached_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolve_breached_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_comment', sa.Text(), nullable=False),
    sa.Column('rated_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('submission_key', sa.String(length=80), nullable=True),
    sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['staff_users.id'], name=op.f('fk_repair_tickets_assignee_id_staff_users')),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_repair_tickets_building_id_buildings')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_repair_tickets_community_id_communities')),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['repair_tickets.id'], name=op.f('fk_repair_tickets_duplicate_of_id_repair_tickets')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_repair_tickets_household_id_households')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_repair_tickets_resident_id_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_tickets')),
    sa.UniqueConstraint('number', name=op.f('uq_repair_tickets_number')),
    sa.UniqueConstraint('submission_key', name=op.f('uq_repair_tickets_submission_key'))
    )
    with op.batch_alter_table('repair_tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_tickets_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_repair_tickets_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_repair_tickets_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_repair_tickets_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_repair_tickets_community_status', ['community_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_repair_tickets_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_repair_tickets_openid'), ['openid'], unique=False)
        batch_op.create_index(batch_op.f('ix_repair_tickets_status'), ['status'], unique=False)

    op.create_table('complaint_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('author', sa.String(length=80), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_notes_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_complaint_notes_staff_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_notes'))
    )
    with op.batch_alter_table('complaint_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_notes_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('duplicates_prevented',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('match', sa.String(length=20), nullable=False),
    sa.Column('submission_key', sa.String(length=80), nullable=True),
    sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_duplicates_prevented_community_id_communities')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_duplicates_prevented_household_id_households')),
    sa.ForeignKeyConstraint(['ticket_id'], ['repair_tickets.id'], name=op.f('fk_duplicates_prevented_ticket_id_repair_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicates_prevented')),
    sa.UniqueConstraint('submission_key', name=op.f('uq_duplicates_prevented_submission_key'))
    )
    with op.batch_alter_table('duplicates_prevented', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duplicates_prevented_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_duplicates_prevented_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_duplicates_prevented_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('repair_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('author', sa.String(length=80), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_repair_notes_staff_id_staff_users')),
    sa.ForeignKeyConstraint(['ticket_id'], ['repair_tickets.id'], name=op.f('fk_repair_notes_ticket_id_repair_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_notes'))
    )
    with op.batch_alter_table('repair_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_notes_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('repair_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repair_notes_ticket_id'))

    op.drop_table('repair_notes')
    with op.batch_alter_table('duplicates_prevented', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duplicates_prevented_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_duplicates_prevented_created_at'))
        batch_op.drop_index(batch_op.f('ix_duplicates_prevented_community_id'))

    op.drop_table('duplicates_prevented')
    with op.batch_alter_table('complaint_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_notes_complaint_id'))

    op.drop_table('complaint_notes')
    with op.batch_alter_table('repair_tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repair_tickets_status'))
        batch_op.drop_index(batch_op.f('ix_repair_tickets_openid'))
        batch_op.drop_index(batch_op.f('ix_repair_tickets_household_id'))
        batch_op.drop_index('ix_repair_tickets_community_status')
        batch_op.drop_index(batch_op.f('ix_repair_tickets_community_id'))
        batch_op.drop_index(batch_op.f('ix_repair_tickets_category'))
        batch_op.drop_index(batch_op.f('ix_repair_tickets_building_id'))
        batch_op.drop_index(batch_op.f('ix_repair_tickets_assignee_id'))

    op.drop_table('repair_tickets')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_status'))
        batch_op.drop_index(batch_op.f('ix_complaints_openid'))
        batch_op.drop_index('ix_complaints_community_status')
        batch_op.drop_index(batch_op.f('ix_complaints_community_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_category'))
        batch_op.drop_index(batch_op.f('ix_complaints_building_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_assignee_id'))

    op.drop_table('complaints')
    with op.batch_alter_table('repair_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repair_categories_community_id'))

    op.drop_table('repair_categories')
