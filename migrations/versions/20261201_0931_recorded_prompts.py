"""The hospital's own recordings of the hotline's prompts (issue 14 item 5).

Revision ID: 0931
Revises: 0930
Create Date: 2026-12-01 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0931"
down_revision = "0930"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prompt_recording",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_recording")),
        sa.UniqueConstraint("key", "language", name=op.f("uq_prompt_recording_key_language")),
    )


def downgrade() -> None:
    op.drop_table("prompt_recording")
