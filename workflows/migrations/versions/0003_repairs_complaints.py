"""Repairs and complaints work orders (filled by the repairs issue)

Revision ID: 0003_repairs_complaints
Revises: 0002_backoffice
"""

revision = "0003_repairs_complaints"
down_revision = "0002_backoffice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
