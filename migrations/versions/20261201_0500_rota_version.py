"""The rota's version, bumped by triggers on every table that decides routing.

Revision ID: 0500
Revises: 0550
Create Date: 2026-12-01 14:20:00

Each instance keeps a routing snapshot in memory and asks this one row, every few seconds, whether it
is still current. Triggers rather than code in the operations: an import, a command, a page, a script
run by IT and a future table writer all bump it without knowing. PostgreSQL: one statement-level
trigger per table (an import of a thousand shifts bumps once). SQLite: row-level triggers (its only
kind), an upsert each, cheap in SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0500"
down_revision = "0550"
branch_labels = None
depends_on = None

TABLES = (
    "department",
    "department_head",
    "specialty",
    "senior",
    "senior_phone",
    "rotation",
    "rotation_member",
    "duty_slot",
    "duty_override",
    "senior_leave",
    "gp",
    "gp_phone",
    "call_policy",
)
_BUMP = (
    "INSERT INTO rota_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = rota_version.version + 1"
)


def upgrade() -> None:
    op.create_table(
        "rota_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_version")),
    )
    op.execute("INSERT INTO rota_version (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION recours_bump_rota_version() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                {_BUMP};
                RETURN NULL;
            END $$
            """
        )
        for table in TABLES:
            op.execute(
                f'CREATE TRIGGER rota_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
                "FOR EACH STATEMENT EXECUTE FUNCTION recours_bump_rota_version()"
            )
        return
    for table in TABLES:
        for operation in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f'CREATE TRIGGER rota_version_{table}_{operation.lower()} AFTER {operation} ON "{table}" '
                f"BEGIN {_BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f'DROP TRIGGER IF EXISTS rota_version_bump ON "{table}"')
        op.execute("DROP FUNCTION IF EXISTS recours_bump_rota_version()")
    else:
        for table in TABLES:
            for operation in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS rota_version_{table}_{operation}")
    op.drop_table("rota_version")
