"""What came of a conversation: asked of the senior once a bridged call ended, stored on the call.

Revision ID: 0901
Revises: 0500
Create Date: 2026-12-01 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0901"
down_revision = "0500"
branch_labels = None
depends_on = None

OUTCOMES = ("advice", "consultation", "urgent_slot", "admission", "emergency", "other")


def upgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation_asked_at", core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("conversation_outcome", sa.Enum(*OUTCOMES, name="conversationoutcome", native_enum=False, length=24), nullable=True)
        )
        batch_op.add_column(sa.Column("conversation_answered_at", core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("conversation_via", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_column("conversation_via")
        batch_op.drop_column("conversation_answered_at")
        batch_op.drop_column("conversation_outcome")
        batch_op.drop_column("conversation_asked_at")
