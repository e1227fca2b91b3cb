"""The hotline schema: rota, GP directory, call log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 15:22:19.199588
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "department",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department")),
        sa.UniqueConstraint("name", name=op.f("uq_department_name")),
    )
    op.create_table(
        "gp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("rpps", sa.String(length=11), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gp")),
        sa.UniqueConstraint("rpps", name=op.f("uq_gp_rpps")),
    )
    op.create_table(
        "senior",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_senior")),
    )
    op.create_table(
        "status_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("dedup_key", sa.String(length=40), nullable=False),
        sa.Column("parent_sid", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_event")),
        sa.UniqueConstraint(
            "call_sid", "dedup_key", name=op.f("uq_status_event_call_sid_dedup_key")
        ),
    )
    op.create_table(
        "gp_phone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gp_id", sa.Integer(), nullable=False),
        sa.Column("e164", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["gp_id"], ["gp.id"], name=op.f("fk_gp_phone_gp_id_gp"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gp_phone")),
        sa.UniqueConstraint("e164", name=op.f("uq_gp_phone_e164")),
    )
    op.create_index(op.f("ix_gp_phone_gp_id"), "gp_phone", ["gp_id"], unique=False)

    op.create_table(
        "senior_phone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("senior_id", sa.Integer(), nullable=False),
        sa.Column("e164", sa.String(length=20), nullable=False),
        sa.Column("preference", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["senior_id"],
            ["senior.id"],
            name=op.f("fk_senior_phone_senior_id_senior"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_senior_phone")),
        sa.UniqueConstraint(
            "senior_id", "e164", name=op.f("uq_senior_phone_senior_id_e164")
        ),
    )
    op.create_index(
        op.f("ix_senior_phone_senior_id"), "senior_phone", ["senior_id"], unique=False
    )

    op.create_table(
        "specialty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("name_fr", sa.String(length=80), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("menu_digit", sa.String(length=1), nullable=True),
        sa.Column("speech_keywords", sa.Text(), nullable=False),
        sa.Column("direct_number", sa.String(length=20), nullable=True),
        sa.Column("last_resort_senior_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "menu_digit IS NULL OR menu_digit IN ('1','2','3','4','5','6','7','8','9')",
            name=op.f("ck_specialty_menu_digit"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_specialty_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["last_resort_senior_id"],
            ["senior.id"],
            name=op.f("fk_specialty_last_resort_senior_id_senior"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specialty")),
        sa.UniqueConstraint("code", name=op.f("uq_specialty_code")),
        sa.UniqueConstraint("direct_number", name=op.f("uq_specialty_direct_number")),
        sa.UniqueConstraint("menu_digit", name=op.f("uq_specialty_menu_digit")),
    )
    op.create_index(
        op.f("ix_specialty_department_id"), "specialty", ["department_id"], unique=False
    )

    op.create_table(
        "call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("caller_e164", sa.String(length=20), nullable=True),
        sa.Column("gp_id", sa.Integer(), nullable=True),
        sa.Column("dialled", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("specialty_id", sa.Integer(), nullable=True),
        sa.Column("menu_failures", sa.Integer(), nullable=False),
        sa.Column("hunt", sa.JSON(), nullable=True),
        sa.Column("started_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "first_ringing_at", core.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("connected_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("switchboard_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "connected",
                "callback_requested",
                "switchboard",
                "abandoned_in_menu",
                "abandoned_while_hunting",
                "nobody_on_duty",
                "failed",
                name="calloutcome",
                native_enum=False,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("status_rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["gp_id"], ["gp.id"], name=op.f("fk_call_gp_id_gp"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["specialty_id"],
            ["specialty.id"],
            name=op.f("fk_call_specialty_id_specialty"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call")),
        sa.UniqueConstraint("sid", name=op.f("uq_call_sid")),
    )
    op.create_index(
        op.f("ix_call_specialty_id"), "call", ["specialty_id"], unique=False
    )
    op.create_index("ix_call_started_at", "call", ["started_at"], unique=False)

    op.create_table(
        "duty_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("specialty_id", sa.Integer(), nullable=False),
        sa.Column("senior_id", sa.Integer(), nullable=False),
        sa.Column(
            "layer",
            sa.Enum("primary", "backup", name="layer", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("starts_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ends_at > starts_at", name=op.f("ck_duty_slot_interval_not_empty")
        ),
        sa.ForeignKeyConstraint(
            ["senior_id"],
            ["senior.id"],
            name=op.f("fk_duty_slot_senior_id_senior"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["specialty_id"],
            ["specialty.id"],
            name=op.f("fk_duty_slot_specialty_id_specialty"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_slot")),
    )
    op.create_index(
        "ix_duty_slot_lookup",
        "duty_slot",
        ["specialty_id", "starts_at", "ends_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_duty_slot_senior_id"), "duty_slot", ["senior_id"], unique=False
    )

    op.create_table(
        "attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("senior_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("layer", sa.String(length=16), nullable=False),
        sa.Column("child_sid", sa.String(length=64), nullable=True),
        sa.Column("started_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ringing_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "result",
            sa.Enum(
                "accepted",
                "declined",
                "not_accepted",
                "no_answer",
                "busy",
                "failed",
                "caller_hung_up",
                name="attemptresult",
                native_enum=False,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("status_rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["call.id"],
            name=op.f("fk_attempt_call_id_call"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["senior_id"],
            ["senior.id"],
            name=op.f("fk_attempt_senior_id_senior"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempt")),
        sa.UniqueConstraint("call_id", "rank", name=op.f("uq_attempt_call_id_rank")),
    )
    op.create_index(
        op.f("ix_attempt_child_sid"), "attempt", ["child_sid"], unique=False
    )
    op.create_index(
        op.f("ix_attempt_senior_id"), "attempt", ["senior_id"], unique=False
    )

    op.create_table(
        "callback_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("caller_e164", sa.String(length=20), nullable=True),
        sa.Column("gp_id", sa.Integer(), nullable=True),
        sa.Column("specialty_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recording_url", sa.Text(), nullable=True),
        sa.Column("recording_sid", sa.String(length=64), nullable=True),
        sa.Column("recording_seconds", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open", "done", name="callbackstatus", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("done_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["call.id"],
            name=op.f("fk_callback_request_call_id_call"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["gp_id"],
            ["gp.id"],
            name=op.f("fk_callback_request_gp_id_gp"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["specialty_id"],
            ["specialty.id"],
            name=op.f("fk_callback_request_specialty_id_specialty"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_request")),
        sa.UniqueConstraint("call_id", name=op.f("uq_callback_request_call_id")),
    )
    op.create_index(
        op.f("ix_callback_request_specialty_id"),
        "callback_request",
        ["specialty_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_callback_request_status"), "callback_request", ["status"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_callback_request_status"), table_name="callback_request")
    op.drop_index(
        op.f("ix_callback_request_specialty_id"), table_name="callback_request"
    )

    op.drop_table("callback_request")
    op.drop_index(op.f("ix_attempt_senior_id"), table_name="attempt")
    op.drop_index(op.f("ix_attempt_child_sid"), table_name="attempt")

    op.drop_table("attempt")
    op.drop_index(op.f("ix_duty_slot_senior_id"), table_name="duty_slot")
    op.drop_index("ix_duty_slot_lookup", table_name="duty_slot")

    op.drop_table("duty_slot")
    op.drop_index("ix_call_started_at", table_name="call")
    op.drop_index(op.f("ix_call_specialty_id"), table_name="call")

    op.drop_table("call")
    op.drop_index(op.f("ix_specialty_department_id"), table_name="specialty")

    op.drop_table("specialty")
    op.drop_index(op.f("ix_senior_phone_senior_id"), table_name="senior_phone")

    op.drop_table("senior_phone")
    op.drop_index(op.f("ix_gp_phone_gp_id"), table_name="gp_phone")

    op.drop_table("gp_phone")
    op.drop_table("status_event")
    op.drop_table("senior")
    op.drop_table("gp")
    op.drop_table("department")
