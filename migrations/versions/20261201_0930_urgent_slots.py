"""Urgent consultation slots (patterns, slots, bookings) and the secretariat's departments.

Revision ID: 0930
Revises: 0902
Create Date: 2026-12-01 14:10:00

The secretariat role itself needs no change: ``app_user.role`` is a plain string column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0930"
down_revision = "0902"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "secretariat_department",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_secretariat_department_department_id_department"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_secretariat_department_user_id_app_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "department_id", name=op.f("pk_secretariat_department")),
    )
    with op.batch_alter_table("secretariat_department", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_secretariat_department_department_id"), ["department_id"], unique=False)

    op.create_table(
        "urgent_slot_pattern",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("specialty_id", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.String(length=7), nullable=False),
        sa.Column("times", sa.String(length=200), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("cutoff_minutes", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cutoff_minutes BETWEEN 0 AND 10080", name=op.f("ck_urgent_slot_pattern_cutoff_range")),
        sa.CheckConstraint("duration_minutes BETWEEN 5 AND 480", name=op.f("ck_urgent_slot_pattern_duration_range")),
        sa.CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name=op.f("ck_urgent_slot_pattern_validity_order")),
        sa.ForeignKeyConstraint(
            ["specialty_id"], ["specialty.id"], name=op.f("fk_urgent_slot_pattern_specialty_id_specialty"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_urgent_slot_pattern")),
    )
    with op.batch_alter_table("urgent_slot_pattern", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_urgent_slot_pattern_specialty_id"), ["specialty_id"], unique=False)

    op.create_table(
        "urgent_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("specialty_id", sa.Integer(), nullable=False),
        sa.Column("pattern_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cutoff_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("status", sa.Enum("open", "booked", "released", name="slotstatus", native_enum=False, length=16), nullable=False),
        sa.Column("released_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cutoff_at <= starts_at", name=op.f("ck_urgent_slot_cutoff_before_start")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_urgent_slot_interval_not_empty")),
        sa.ForeignKeyConstraint(
            ["pattern_id"], ["urgent_slot_pattern.id"], name=op.f("fk_urgent_slot_pattern_id_urgent_slot_pattern"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["specialty_id"], ["specialty.id"], name=op.f("fk_urgent_slot_specialty_id_specialty"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_urgent_slot")),
        sa.UniqueConstraint("specialty_id", "starts_at", name=op.f("uq_urgent_slot_specialty_id_starts_at")),
    )
    with op.batch_alter_table("urgent_slot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_urgent_slot_pattern_id"), ["pattern_id"], unique=False)
        batch_op.create_index("ix_urgent_slot_starts", ["starts_at"], unique=False)
        batch_op.create_index("ix_urgent_slot_status_cutoff", ["status", "cutoff_at"], unique=False)

    op.create_table(
        "urgent_slot_booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column(
            "status", sa.Enum("booked", "confirmed", "cancelled", name="bookingstatus", native_enum=False, length=16), nullable=False
        ),
        sa.Column("gp_id", sa.Integer(), nullable=True),
        sa.Column("gp_e164", sa.String(length=20), nullable=False),
        sa.Column("senior_id", sa.Integer(), nullable=True),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("booked_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], name=op.f("fk_urgent_slot_booking_call_id_call"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["gp_id"], ["gp.id"], name=op.f("fk_urgent_slot_booking_gp_id_gp"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["senior_id"], ["senior.id"], name=op.f("fk_urgent_slot_booking_senior_id_senior"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["urgent_slot.id"], name=op.f("fk_urgent_slot_booking_slot_id_urgent_slot"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_urgent_slot_booking")),
        sa.UniqueConstraint("code", name=op.f("uq_urgent_slot_booking_code")),
    )
    with op.batch_alter_table("urgent_slot_booking", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_urgent_slot_booking_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_urgent_slot_booking_gp_id"), ["gp_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_urgent_slot_booking_senior_id"), ["senior_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_urgent_slot_booking_slot_id"), ["slot_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("urgent_slot_booking", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_urgent_slot_booking_slot_id"))
        batch_op.drop_index(batch_op.f("ix_urgent_slot_booking_senior_id"))
        batch_op.drop_index(batch_op.f("ix_urgent_slot_booking_gp_id"))
        batch_op.drop_index(batch_op.f("ix_urgent_slot_booking_call_id"))

    op.drop_table("urgent_slot_booking")
    with op.batch_alter_table("urgent_slot", schema=None) as batch_op:
        batch_op.drop_index("ix_urgent_slot_status_cutoff")
        batch_op.drop_index("ix_urgent_slot_starts")
        batch_op.drop_index(batch_op.f("ix_urgent_slot_pattern_id"))

    op.drop_table("urgent_slot")
    with op.batch_alter_table("urgent_slot_pattern", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_urgent_slot_pattern_specialty_id"))

    op.drop_table("urgent_slot_pattern")
    with op.batch_alter_table("secretariat_department", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_secretariat_department_department_id"))

    op.drop_table("secretariat_department")
