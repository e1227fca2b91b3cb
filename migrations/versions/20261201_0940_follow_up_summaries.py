"""Reports that do not grow with history, the rest of the way: what came after the calls summarised per
day (report_follow_up, sealed a week later than the calls), callback waits counted in whole minutes, and
two covering indexes for what a report still reads from the log.

Revision ID: 0940
Revises: 0950
Create Date: 2026-12-01 17:40:00.000000

``report_callbacks`` kept one row per wait in whole seconds: at a million requests a year, about a row per
request. In whole minutes a day of one specialty has a few hundred rows; a default deadline in whole
minutes still tells late from on time exactly; the median and p90 of the time to callback become exact to
the minute. The summaries are derived data: they are forgotten here and written again by the next report,
the nightly ``report-summaries`` job or ``flask report summarise``. Downgrading drops the follow-up
tables and turns the callback summary back to seconds (emptied likewise).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0940"
down_revision = "0950"
branch_labels = None
depends_on = None

_SUMMARIES = ("report_calls", "report_call_hours", "report_durations", "report_attempts", "report_callbacks", "report_summarised_day")


_FOLLOW_UP_CALLS = "outcome IN ('connected', 'deferred')"
_NOT_SUMMARISED = "(status <> 'done' OR done_at IS NULL)"


def _forget() -> None:
    for table in _SUMMARIES:
        op.execute(sa.text(f"DELETE FROM {table}"))


def upgrade() -> None:
    _forget()
    with op.batch_alter_table("report_callbacks") as batch:
        batch.alter_column("waited_seconds", new_column_name="waited_minutes", existing_type=sa.Integer(), existing_nullable=False)
    op.create_table(
        "report_follow_up_day",
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("local_day", sa.Integer(), nullable=False),
        sa.Column("summarised_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("zone", "local_day", name=op.f("pk_report_follow_up_day")),
    )
    op.create_table(
        "report_follow_up",
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("local_day", sa.Integer(), nullable=False),
        sa.Column("specialty_key", sa.Integer(), nullable=False),
        sa.Column("senior_key", sa.Integer(), nullable=False),
        sa.Column("fact", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=24), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("zone", "local_day", "specialty_key", "senior_key", "fact", "value", name=op.f("pk_report_follow_up")),
    )
    op.create_index(
        "ix_call_follow_up",
        "call",
        ["started_at", "outcome", "specialty_id", "conversation_outcome"],
        unique=False,
        postgresql_include=["id"],
        sqlite_where=sa.text(_FOLLOW_UP_CALLS),
        postgresql_where=sa.text(_FOLLOW_UP_CALLS),
    )
    # The callback requests not summarised, with what the report reads of them (index-only).
    op.drop_index("ix_callback_request_not_done", table_name="callback_request")
    op.create_index(
        "ix_callback_request_not_done",
        "callback_request",
        ["requested_at"],
        unique=False,
        postgresql_include=["specialty_id", "status", "deadline_at", "done_at"],
        sqlite_where=sa.text(_NOT_SUMMARISED),
        postgresql_where=sa.text(_NOT_SUMMARISED),
    )


def downgrade() -> None:
    op.drop_index("ix_callback_request_not_done", table_name="callback_request")
    op.create_index(
        "ix_callback_request_not_done",
        "callback_request",
        ["requested_at"],
        unique=False,
        sqlite_where=sa.text("status <> 'done'"),
        postgresql_where=sa.text("status <> 'done'"),
    )
    op.drop_index("ix_call_follow_up", table_name="call")
    op.drop_table("report_follow_up")
    op.drop_table("report_follow_up_day")
    _forget()
    with op.batch_alter_table("report_callbacks") as batch:
        batch.alter_column("waited_minutes", new_column_name="waited_seconds", existing_type=sa.Integer(), existing_nullable=False)
