"""API tokens and calendar feed links (api/).

Revision ID: 0401
Revises: 0301
Create Date: 2026-11-24 12:00:00

Only additions: three new tables. Secrets are never stored, only their SHA-256.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0401"
down_revision = "0301"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_table(
        "api_token_department",
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_token.id"], name=op.f("fk_api_token_department_token_id_api_token"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_api_token_department_department_id_department"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_id", "department_id", name=op.f("pk_api_token_department")),
    )
    op.create_index(op.f("ix_api_token_department_department_id"), "api_token_department", ["department_id"], unique=False)
    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("senior", "specialty", name="feedkind", native_enum=False, length=16), nullable=False),
        sa.Column("senior_id", sa.Integer(), nullable=True),
        sa.Column("specialty_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(kind = 'senior' AND senior_id IS NOT NULL AND specialty_id IS NULL)"
            " OR (kind = 'specialty' AND specialty_id IS NOT NULL AND senior_id IS NULL)",
            name=op.f("ck_calendar_feed_one_target"),
        ),
        sa.ForeignKeyConstraint(["senior_id"], ["senior.id"], name=op.f("fk_calendar_feed_senior_id_senior"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["specialty_id"], ["specialty.id"], name=op.f("fk_calendar_feed_specialty_id_specialty"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feed_token_hash")),
    )
    op.create_index(op.f("ix_calendar_feed_senior_id"), "calendar_feed", ["senior_id"], unique=False)
    op.create_index(op.f("ix_calendar_feed_specialty_id"), "calendar_feed", ["specialty_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_calendar_feed_specialty_id"), table_name="calendar_feed")
    op.drop_index(op.f("ix_calendar_feed_senior_id"), table_name="calendar_feed")
    op.drop_table("calendar_feed")
    op.drop_index(op.f("ix_api_token_department_department_id"), table_name="api_token_department")
    op.drop_table("api_token_department")
    op.drop_table("api_token")
