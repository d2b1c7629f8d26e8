"""A bill line's household, building and community are checked as one key, (household_id, building_id,
community_id) → households (id, building_id, community_id), instead of three separate keys: a bill's building and
community must be its household's (the separate keys let a line name any building), and each inserted line costs
one key check instead of three (bill generation, docs/billing.md). The key cascades updates, so a household
corrected to another building or community carries its bills along. Every line has a household (parking lines
carry the renting household; the column is NOT NULL), so no line escapes the check.

Revision ID: 0015_bills_household_key
Revises: 0014_audit_actor_columns
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_bills_household_key"
down_revision = "0014_audit_actor_columns"
branch_labels = None
depends_on = None

HOUSEHOLD_KEY = ["household_id", "building_id", "community_id"]


MISMATCHED = """SELECT b.id FROM bills b JOIN households h ON h.id = b.household_id
WHERE b.building_id <> h.building_id OR b.community_id <> h.community_id ORDER BY b.id"""


def upgrade() -> None:
    # Checked before anything changes: SQLite's DDL is not transactional, and these lines are money records that a
    # migration should not rewrite silently; someone decides which building and community each one belongs to.
    mismatched = op.get_bind().execute(sa.text(MISMATCHED)).scalars().all()
    if mismatched:
        raise RuntimeError(f"{len(mismatched)} bill lines name another building or community than their household's "
                           f"(bills.id {mismatched[:20]}); correct them, then upgrade again")
    with op.batch_alter_table("households") as batch:
        batch.create_unique_constraint("uq_households_id", ["id", "building_id", "community_id"])
    with op.batch_alter_table("bills") as batch:
        batch.drop_constraint("fk_bills_community_id_communities", type_="foreignkey")
        batch.drop_constraint("fk_bills_building_id_buildings", type_="foreignkey")
        batch.drop_constraint("fk_bills_household_id_households", type_="foreignkey")
        batch.create_foreign_key("fk_bills_household_id_households", "households", HOUSEHOLD_KEY,
                                 ["id", "building_id", "community_id"], onupdate="CASCADE")


def downgrade() -> None:
    with op.batch_alter_table("bills") as batch:
        batch.drop_constraint("fk_bills_household_id_households", type_="foreignkey")
        batch.create_foreign_key("fk_bills_household_id_households", "households", ["household_id"], ["id"])
        batch.create_foreign_key("fk_bills_building_id_buildings", "buildings", ["building_id"], ["id"])
        batch.create_foreign_key("fk_bills_community_id_communities", "communities", ["community_id"], ["id"])
    with op.batch_alter_table("households") as batch:
        batch.drop_constraint("uq_households_id", type_="unique")
