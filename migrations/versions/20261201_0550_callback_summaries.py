"""Reports that do not grow with history: callback requests summarised by the day they were done.

Revision ID: 0550
Revises: 0900
Create Date: 2026-12-01 14:00:00.000000

``report_callbacks`` counts the done requests of each summarised local day; two indexes serve the
requests read from the log (those not done, and those done on a day not summarised yet). The summaries
written before this revision have no callback rows, so they are forgotten: they are derived data, and
the next report (or the nightly ``report-summaries`` job, or ``flask report summarise``) writes them
again, callbacks included. Downgrading drops the table and the indexes; the older code reads every
callback request from the log.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0550"
down_revision = "0900"
branch_labels = None
depends_on = None

_SUMMARIES = ("report_calls", "report_call_hours", "report_durations", "report_attempts", "report_summarised_day")


def upgrade() -> None:
    op.create_table(
        "report_callbacks",
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("requested_day", sa.Integer(), nullable=False),
        sa.Column("local_day", sa.Integer(), nullable=False),
        sa.Column("specialty_key", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Integer(), nullable=False),
        sa.Column("waited_seconds", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "zone", "requested_day", "local_day", "specialty_key", "deadline", "waited_seconds", name=op.f("pk_report_callbacks")
        ),
    )
    op.create_index("ix_callback_request_done_at", "callback_request", ["done_at"], unique=False)
    op.create_index(
        "ix_callback_request_not_done",
        "callback_request",
        ["requested_at"],
        unique=False,
        sqlite_where=sa.text("status <> 'done'"),
        postgresql_where=sa.text("status <> 'done'"),
    )
    for table in _SUMMARIES:
        op.execute(sa.text(f"DELETE FROM {table}"))


def downgrade() -> None:
    op.drop_index("ix_callback_request_not_done", table_name="callback_request")
    op.drop_index("ix_callback_request_done_at", table_name="callback_request")
    op.drop_table("report_callbacks")
