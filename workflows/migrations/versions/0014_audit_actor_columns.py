"""Audit rows store who acted as two columns, actor_kind (staff | owner | system) and actor_id (staff id, openid,
or the system's part such as "cli"), instead of a "staff:3" string that readers parse back. Existing rows are
filled in once, here, from their label; the label column stays for reading old rows as they were written.

Revision ID: 0014_audit_actor_columns
Revises: 0013_reminders_points
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_audit_actor_columns"
down_revision = "0013_reminders_points"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("actor_kind", sa.String(10), nullable=False, server_default="system"))
        batch.add_column(sa.Column("actor_id", sa.String(80), nullable=False, server_default=""))
        batch.create_index("ix_audit_actor", ["actor_kind", "actor_id"])
    # The labels written so far: "staff:<id>", "owner:<openid>", "system", or a part of the system ("cli", ...).
    op.execute("UPDATE audit_events SET actor_kind = 'staff', actor_id = substr(actor, 7) WHERE actor LIKE 'staff:%'")
    op.execute("UPDATE audit_events SET actor_kind = 'owner', actor_id = substr(actor, 7) WHERE actor LIKE 'owner:%'")
    op.execute("UPDATE audit_events SET actor_kind = 'system', actor_id = actor "
               "WHERE actor NOT LIKE 'staff:%' AND actor NOT LIKE 'owner:%' AND actor <> 'system'")


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index("ix_audit_actor")
        batch.drop_column("actor_id")
        batch.drop_column("actor_kind")
