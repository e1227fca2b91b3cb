"""The ``call_policy`` triggers that bump ``rota_version``, again on SQLite.

Revision ID: 0950
Revises: 0931
Create Date: 2026-12-01 17:40:00

Migration 0500 created them, then 0902 added ``ringing`` and ``stage_seconds`` to ``call_policy``
with Alembic's batch mode, which on SQLite copies the table into a new one and drops the old: its
triggers went with it. A change of a specialty's ringing or promise then left every instance's routing
snapshot (which carries both to the calls) as it was until its periodic rebuild. PostgreSQL altered the
table in place and kept its trigger.
"""

from __future__ import annotations

from alembic import op

revision = "0950"
down_revision = "0931"
branch_labels = None
depends_on = None
_BUMP = "INSERT INTO rota_version (id, version) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET version = rota_version.version + 1"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for operation in ("INSERT", "UPDATE", "DELETE"):
        op.execute(
            f'CREATE TRIGGER IF NOT EXISTS rota_version_call_policy_{operation.lower()} AFTER {operation} ON "call_policy" '
            f"BEGIN {_BUMP}; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for operation in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS rota_version_call_policy_{operation}")
