"""``rota_version`` bumped once per transaction on PostgreSQL, not once per statement.

Revision ID: 0960
Revises: 0940
Create Date: 2026-12-01 21:45:00

Migration 0500's statement-level triggers bump the one ``rota_version`` row after every statement that
writes a rota table. A transaction of many statements (an import sent as an executemany: one statement
per row) updated that row thousands of times in one transaction; PostgreSQL cannot prune the versions a
running transaction made, so each update walked all the earlier ones: 50,000 leave rows took about ten
minutes of server CPU (``python -m bench.rota`` builds such a rota). The function now bumps once per
transaction, remembered in a transaction-local setting: the transaction's changes still become visible
together with their one bump, which is all a reader of the version needs. A savepoint rolled back takes
its bump and its setting with it, so a later write in the same transaction bumps again.

SQLite keeps its row-level triggers: it updates the row in place.
"""

from __future__ import annotations

from alembic import op

revision = "0960"
down_revision = "0940"
branch_labels = None
depends_on = None

_UPSERT = "INSERT INTO rota_version (id, version) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET version = rota_version.version + 1"


def _function(body: str) -> str:
    return f"""
        CREATE OR REPLACE FUNCTION recours_bump_rota_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {body}
            RETURN NULL;
        END $$
    """


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        _function(
            f"""
            IF current_setting('recours.rota_version_bumped_by', true) IS DISTINCT FROM txid_current()::text THEN
                PERFORM set_config('recours.rota_version_bumped_by', txid_current()::text, true);
                {_UPSERT};
            END IF;
            """
        )
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_function(f"{_UPSERT};"))
