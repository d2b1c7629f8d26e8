"""Back office: announcements, activities, staff sessions (filled by the back-office issue)

Revision ID: 0002_backoffice
Revises: 0001_core
"""

revision = "0002_backoffice"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
