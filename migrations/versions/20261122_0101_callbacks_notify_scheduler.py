"""Callbacks, the outbox and the scheduler: deadlines and codes on callback requests, callback calls,
outbound messages, the scheduler's lock, run log and APScheduler job store.

Revision ID: 0101
Revises: 0002
Create Date: 2026-11-23 09:00:00.000000

Only additions. Existing open callback requests have ``announced_at`` NULL, so the first scheduler run
after this migration announces them (SMS to the seniors on duty, a deadline from that moment's policy):
a request left before the upgrade is not forgotten.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0101"
down_revision = "0002"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("announced_at", core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("deadline_at", core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalated_at", core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_at", core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_by_senior_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("done_by_senior_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("done_via", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("recording_deleted_at", core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_callback_request_acknowledged_by_senior_id_senior"), "senior", ["acknowledged_by_senior_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(batch_op.f("fk_callback_request_done_by_senior_id_senior"), "senior", ["done_by_senior_id"], ["id"], ondelete="SET NULL")
        batch_op.create_index("ix_callback_request_open_code", ["code"], unique=True, sqlite_where=OPEN, postgresql_where=OPEN)

    op.create_table(
        "callback_policy",
        sa.Column("specialty_id", sa.Integer(), nullable=False),
        sa.Column("deadline_minutes", sa.Integer(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("deadline_minutes BETWEEN 5 AND 1440", name=op.f("ck_callback_policy_deadline_range")),
        sa.ForeignKeyConstraint(["specialty_id"], ["specialty.id"], name=op.f("fk_callback_policy_specialty_id_specialty"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("specialty_id", name=op.f("pk_callback_policy")),
    )

    op.create_table(
        "callback_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("callback_request_id", sa.Integer(), nullable=False),
        sa.Column("senior_id", sa.Integer(), nullable=True),
        sa.Column("senior_number", sa.String(length=20), nullable=False),
        sa.Column("requested_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=True),
        sa.Column("senior_status", sa.String(length=20), nullable=False),
        sa.Column("senior_rank", sa.Integer(), nullable=False),
        sa.Column("senior_answered_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("gp_dialled_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("gp_sid", sa.String(length=64), nullable=True),
        sa.Column("gp_status", sa.String(length=20), nullable=True),
        sa.Column("gp_rank", sa.Integer(), nullable=False),
        sa.Column("bridged_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["callback_request_id"], ["callback_request.id"], name=op.f("fk_callback_call_callback_request_id_callback_request"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["senior_id"], ["senior.id"], name=op.f("fk_callback_call_senior_id_senior"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_call")),
    )
    op.create_index(op.f("ix_callback_call_callback_request_id"), "callback_call", ["callback_request_id"], unique=False)
    op.create_index(op.f("ix_callback_call_senior_id"), "callback_call", ["senior_id"], unique=False)
    op.create_index(op.f("ix_callback_call_sid"), "callback_call", ["sid"], unique=False)

    op.create_table(
        "outbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=160), nullable=False),
        sa.Column("channel", sa.Enum("sms", "call", "email", "recording_delete", name="channel", native_enum=False, length=20), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=400), nullable=False),
        sa.Column("senior_id", sa.Integer(), nullable=True),
        sa.Column("callback_request_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("pending", "retry", "sending", "sent", "failed", "unknown", "expired", "cancelled", name="messagestatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("provider_sid", sa.String(length=64), nullable=True),
        sa.Column("provider_status", sa.String(length=20), nullable=True),
        sa.Column("provider_status_rank", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["callback_request_id"],
            ["callback_request.id"],
            name=op.f("fk_outbound_message_callback_request_id_callback_request"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["senior_id"], ["senior.id"], name=op.f("fk_outbound_message_senior_id_senior"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_message")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_outbound_message_dedup_key")),
    )
    op.create_index("ix_outbound_message_due", "outbound_message", ["status", "next_attempt_at"], unique=False)
    op.create_index(op.f("ix_outbound_message_purpose"), "outbound_message", ["purpose"], unique=False)
    op.create_index(op.f("ix_outbound_message_senior_id"), "outbound_message", ["senior_id"], unique=False)
    op.create_index(op.f("ix_outbound_message_callback_request_id"), "outbound_message", ["callback_request_id"], unique=False)
    op.create_index(op.f("ix_outbound_message_provider_sid"), "outbound_message", ["provider_sid"], unique=False)

    op.create_table(
        "scheduler_lock",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("acquired_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_lock")),
    )
    op.create_table(
        "scheduler_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("started_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduler_run")),
    )
    op.create_index("ix_scheduler_run_job", "scheduler_run", ["job_id", "started_at"], unique=False)

    # APScheduler 3.11's SQLAlchemyJobStore table, column for column (it skips creating it when present).
    op.create_table(
        "scheduler_job",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduler_job")),
    )
    op.create_index(op.f("ix_scheduler_job_next_run_time"), "scheduler_job", ["next_run_time"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_scheduler_job_next_run_time"), table_name="scheduler_job")
    op.drop_table("scheduler_job")
    op.drop_index("ix_scheduler_run_job", table_name="scheduler_run")
    op.drop_table("scheduler_run")
    op.drop_table("scheduler_lock")
    op.drop_index(op.f("ix_outbound_message_provider_sid"), table_name="outbound_message")
    op.drop_index(op.f("ix_outbound_message_callback_request_id"), table_name="outbound_message")
    op.drop_index(op.f("ix_outbound_message_senior_id"), table_name="outbound_message")
    op.drop_index(op.f("ix_outbound_message_purpose"), table_name="outbound_message")
    op.drop_index("ix_outbound_message_due", table_name="outbound_message")
    op.drop_table("outbound_message")
    op.drop_index(op.f("ix_callback_call_sid"), table_name="callback_call")
    op.drop_index(op.f("ix_callback_call_senior_id"), table_name="callback_call")
    op.drop_index(op.f("ix_callback_call_callback_request_id"), table_name="callback_call")
    op.drop_table("callback_call")
    op.drop_table("callback_policy")
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.drop_index("ix_callback_request_open_code")
        batch_op.drop_constraint(batch_op.f("fk_callback_request_done_by_senior_id_senior"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_callback_request_acknowledged_by_senior_id_senior"), type_="foreignkey")
        batch_op.drop_column("recording_deleted_at")
        batch_op.drop_column("done_via")
        batch_op.drop_column("done_by_senior_id")
        batch_op.drop_column("acknowledged_by_senior_id")
        batch_op.drop_column("acknowledged_at")
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("deadline_at")
        batch_op.drop_column("announced_at")
        batch_op.drop_column("code")
