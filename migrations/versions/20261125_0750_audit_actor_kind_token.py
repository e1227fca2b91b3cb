"""The audit log records what kind of actor made a change (a person, an API token, a command, the
scheduler) and which API token.

Revision ID: 0750
Revises: 0401
Create Date: 2026-11-25 09:00:00

Only additions. Entries written before this revision were made by a signed-in user when they name one,
otherwise by a command (``flask users create``): they become ``user`` and ``system``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0750"
down_revision = "0401"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_entry", sa.Column("actor_kind", sa.String(length=16), server_default="system", nullable=False))
    op.add_column("audit_entry", sa.Column("actor_token_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_audit_entry_actor_token_id"), "audit_entry", ["actor_token_id"], unique=False)
    op.execute("UPDATE audit_entry SET actor_kind = 'user' WHERE actor_user_id IS NOT NULL")


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_entry_actor_token_id"), table_name="audit_entry")
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_column("actor_token_id")
        batch.drop_column("actor_kind")
