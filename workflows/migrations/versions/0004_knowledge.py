"""FAQ assistant: feedback and unanswered questions (filled by the FAQ issue)

Revision ID: 0004_knowledge
Revises: 0003_repairs_complaints
"""

revision = "0004_knowledge"
down_revision = "0003_repairs_complaints"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
