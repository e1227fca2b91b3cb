"""Deferrals: a senior's promise to call back, on the callback request; a specialty's defer minutes.

Revision ID: 0900
Revises: 0602
Create Date: 2026-12-01 14:00:00

``callback_request.promised_by_senior_id`` / ``promised_minutes`` are written with a request that a
senior's "I will call back within N minutes" created (ivr/defer.py). ``call_policy`` holds a
specialty's own N (NULL: CALLBACK_DEFER_MINUTES). The new outcome ``deferred`` and attempt result
``deferred`` need no change: both enums are plain strings without a CHECK.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0900"
down_revision = "0602"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promised_by_senior_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("promised_minutes", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_callback_request_promised_by_senior_id_senior"), "senior", ["promised_by_senior_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index(batch_op.f("ix_callback_request_promised_by_senior_id"), ["promised_by_senior_id"], unique=False)
    op.create_table(
        "call_policy",
        sa.Column("specialty_id", sa.Integer(), nullable=False),
        sa.Column("defer_minutes", sa.Integer(), nullable=True),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("defer_minutes IS NULL OR defer_minutes BETWEEN 5 AND 240", name=op.f("ck_call_policy_defer_range")),
        sa.ForeignKeyConstraint(["specialty_id"], ["specialty.id"], name=op.f("fk_call_policy_specialty_id_specialty"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("specialty_id", name=op.f("pk_call_policy")),
    )


def downgrade() -> None:
    op.drop_table("call_policy")
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_request_promised_by_senior_id"))
        batch_op.drop_constraint(batch_op.f("fk_callback_request_promised_by_senior_id_senior"), type_="foreignkey")
        batch_op.drop_column("promised_minutes")
        batch_op.drop_column("promised_by_senior_id")
