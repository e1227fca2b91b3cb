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
_BUMP = "INSERT INTO rota_version (id, version) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET version = rota_version.version + 1"


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
    # A new recording bumps rota_version like a rota change (migration 0500): every process's routing
    # snapshot, which carries the recordings to the calls, is rebuilt.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            'CREATE TRIGGER rota_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "prompt_recording" '
            "FOR EACH STATEMENT EXECUTE FUNCTION recours_bump_rota_version()"
        )
        return
    for operation in ("INSERT", "UPDATE", "DELETE"):
        op.execute(
            f'CREATE TRIGGER rota_version_prompt_recording_{operation.lower()} AFTER {operation} ON "prompt_recording" '
            f"BEGIN {_BUMP}; END"
        )


def downgrade() -> None:
    op.drop_table("prompt_recording")  # its triggers go with it
