"""Call reports (reports/): summary tables per local day, and covering indexes on call and attempt.

Revision ID: 0301
Revises: 0201
Create Date: 2026-11-24 09:00:00.000000

Only additions. The summary tables start empty: the first report of a period summarises its sealed
days (or run ``flask report summarise`` once after the upgrade). The two indexes serve the days read
from the call log itself, the summarising, and the list of unanswered calls.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0301"
down_revision = "0201"
branch_labels = None
depends_on = None


def _keyed(name: str, keys: list[str], *columns: sa.Column) -> None:
    """A summary table: (zone, local_day, specialty_key, *keys) is its primary key."""
    op.create_table(
        name,
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("local_day", sa.Integer(), nullable=False),
        sa.Column("specialty_key", sa.Integer(), nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("zone", "local_day", "specialty_key", *keys, name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    op.create_table(
        "report_summarised_day",
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("local_day", sa.Integer(), nullable=False),
        sa.Column("summarised_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("zone", "local_day", name=op.f("pk_report_summarised_day")),
    )
    _keyed(
        "report_calls",
        ["outcome"],
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("found_nobody_on_duty", sa.Integer(), nullable=False),
    )
    _keyed(
        "report_call_hours",
        ["hour"],
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("connected", sa.Integer(), nullable=False),
    )
    _keyed(
        "report_durations",
        ["metric", "seconds"],
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
    )
    _keyed(
        "report_attempts",
        ["senior_key", "result"],
        sa.Column("senior_key", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=24), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_call_report",
        "call",
        ["started_at", "specialty_id", "outcome", "first_ringing_at", "connected_at"],
        unique=False,
        postgresql_include=["id"],
    )
    op.create_index("ix_attempt_report", "attempt", ["call_id", "senior_id", "result"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_attempt_report", table_name="attempt")
    op.drop_index("ix_call_report", table_name="call")
    for name in ("report_attempts", "report_durations", "report_call_hours", "report_calls", "report_summarised_day"):
        op.drop_table(name)
