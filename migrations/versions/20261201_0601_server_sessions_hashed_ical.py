"""Server-side web sessions, a must-change-password flag, seniors' iCal secrets hashed.

Revision ID: 0601
Revises: 0751
Create Date: 2026-12-01 10:00:00

- ``web_session``: one row per signed-in browser (the SHA-256 of the secret its cookie carries). Nobody
  is signed in after this migration runs: the cookies of before carry no such secret, so every browser
  signs in again once.
- ``app_user.must_change_password`` (false for every existing account).
- ``app_user.ical_token`` (the secret itself) becomes ``ical_token_hash`` (its SHA-256, hex): existing
  links keep working, the secret is no longer readable in the database. Going down cannot restore the
  secrets: links made before are then dropped.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0601"
down_revision = "0751"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_web_session_user_id_app_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
    )
    op.create_index(op.f("ix_web_session_user_id"), "web_session", ["user_id"])
    op.create_index(op.f("ix_web_session_expires_at"), "web_session", ["expires_at"])
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("ical_token_hash", sa.String(length=64), nullable=True))
    users = sa.table("app_user", sa.column("id", sa.Integer), sa.column("ical_token", sa.String), sa.column("ical_token_hash", sa.String))
    connection = op.get_bind()
    for user_id, secret in connection.execute(sa.select(users.c.id, users.c.ical_token).where(users.c.ical_token.is_not(None))).all():
        digest = hashlib.sha256(secret.encode()).hexdigest()
        connection.execute(users.update().where(users.c.id == user_id).values(ical_token_hash=digest))
    with op.batch_alter_table("app_user") as batch:
        batch.drop_constraint("uq_app_user_ical_token", type_="unique")
        batch.drop_column("ical_token")
        batch.create_unique_constraint(batch.f("uq_app_user_ical_token_hash"), ["ical_token_hash"])
        batch.alter_column("must_change_password", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_constraint("uq_app_user_ical_token_hash", type_="unique")
        batch.drop_column("ical_token_hash")
        batch.drop_column("must_change_password")
        batch.add_column(sa.Column("ical_token", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(batch.f("uq_app_user_ical_token"), ["ical_token"])
    op.drop_index(op.f("ix_web_session_expires_at"), table_name="web_session")
    op.drop_index(op.f("ix_web_session_user_id"), table_name="web_session")
    op.drop_table("web_session")
