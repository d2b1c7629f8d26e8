"""Back office: announcements (公告) and activities with sign-up (活动报名)

Revision ID: 0002_backoffice
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

import workflows.db

revision = "0002_backoffice"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('place', sa.String(length=100), nullable=False),
    sa.Column('starts_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('signup_deadline', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('signed_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'cancelled', name='activitystatus', native_enum=False, length=16), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_activities_community_id_communities')),
    sa.ForeignKeyConstraint(['created_by'], ['staff_users.id'], name=op.f('fk_activities_created_by_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities'))
    )
    op.create_index(op.f('ix_activities_community_id'), 'activities', ['community_id'], unique=False)
    op.create_table('announcements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'withdrawn', name='announcementstatus', native_enum=False, length=16), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('published_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_announcements_building_id_buildings')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_announcements_community_id_communities')),
    sa.ForeignKeyConstraint(['created_by'], ['staff_users.id'], name=op.f('fk_announcements_created_by_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcements'))
    )
    op.create_index(op.f('ix_announcements_community_id'), 'announcements', ['community_id'], unique=False)
    op.create_index(op.f('ix_announcements_status'), 'announcements', ['status'], unique=False)
    op.create_table('activity_signups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('status', sa.Enum('signed', 'cancelled', name='signupstatus', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_signups_activity_id_activities')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_activity_signups_community_id_communities')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_activity_signups_household_id_households')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_signups')),
    sa.UniqueConstraint('activity_id', 'openid', name=op.f('uq_activity_signups_activity_id'))
    )
    op.create_index(op.f('ix_activity_signups_activity_id'), 'activity_signups', ['activity_id'], unique=False)
    op.create_index(op.f('ix_activity_signups_community_id'), 'activity_signups', ['community_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_activity_signups_community_id'), table_name='activity_signups')
    op.drop_index(op.f('ix_activity_signups_activity_id'), table_name='activity_signups')
    op.drop_table('activity_signups')
    op.drop_index(op.f('ix_announcements_status'), table_name='announcements')
    op.drop_index(op.f('ix_announcements_community_id'), table_name='announcements')
    op.drop_table('announcements')
    op.drop_index(op.f('ix_activities_community_id'), table_name='activities')
    op.drop_table('activities')
