"""Staged ringing per specialty: ``call_policy.ringing`` (NULL = sequential) and ``stage_seconds``.

Revision ID: 0902
Revises: 0901
Create Date: 2026-12-01 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0902"
down_revision = "0901"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_policy", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ringing", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("stage_seconds", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_call_policy_stage_range"), "stage_seconds IS NULL OR stage_seconds BETWEEN 0 AND 60"
        )


def downgrade() -> None:
    with op.batch_alter_table("call_policy", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_call_policy_stage_range"), type_="check")
        batch_op.drop_column("stage_seconds")
        batch_op.drop_column("ringing")
