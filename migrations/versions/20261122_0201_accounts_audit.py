"""Web app accounts, department staff lists, sign-in throttling and the audit log.

Revision ID: 0201
Revises: 0101
Create Date: 2026-11-22 16:00:00

Nothing existing changes: five new tables. Audit entries keep no foreign key to what they describe
(they must outlive it); only the acting account is referenced, and set to NULL if it is deleted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0201"
down_revision = "0101"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.Enum("admin", "head", "manager", "senior", name="role", native_enum=False, length=16), nullable=False),
        sa.Column("senior_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ical_token", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["senior_id"], ["senior.id"], name=op.f("fk_app_user_senior_id_senior"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("email", name=op.f("uq_app_user_email")),
        sa.UniqueConstraint("senior_id", name=op.f("uq_app_user_senior_id")),
        sa.UniqueConstraint("ical_token", name=op.f("uq_app_user_ical_token")),
    )
    op.create_table(
        "department_staff",
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("senior_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], name=op.f("fk_department_staff_department_id_department"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["senior_id"], ["senior.id"], name=op.f("fk_department_staff_senior_id_senior"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("department_id", "senior_id", name=op.f("pk_department_staff")),
    )
    op.create_index(op.f("ix_department_staff_senior_id"), "department_staff", ["senior_id"], unique=False)
    op.create_table(
        "sign_in_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=254), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_throttle")),
        sa.UniqueConstraint("scope", "key", name=op.f("uq_sign_in_throttle_scope_key")),
    )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=400), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("target_type", sa.String(length=40), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["actor_user_id"], ["app_user.id"], name=op.f("fk_audit_entry_actor_user_id_app_user"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index("ix_audit_entry_at", "audit_entry", ["at"], unique=False)
    op.create_index(op.f("ix_audit_entry_action"), "audit_entry", ["action"], unique=False)
    op.create_index(op.f("ix_audit_entry_actor_user_id"), "audit_entry", ["actor_user_id"], unique=False)
    op.create_table(
        "audit_entry_department",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["audit_entry.id"], name=op.f("fk_audit_entry_department_entry_id_audit_entry"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("entry_id", "department_id", name=op.f("pk_audit_entry_department")),
    )
    op.create_index(op.f("ix_audit_entry_department_department_id"), "audit_entry_department", ["department_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_entry_department_department_id"), table_name="audit_entry_department")
    op.drop_table("audit_entry_department")
    op.drop_index(op.f("ix_audit_entry_actor_user_id"), table_name="audit_entry")
    op.drop_index(op.f("ix_audit_entry_action"), table_name="audit_entry")
    op.drop_index("ix_audit_entry_at", table_name="audit_entry")
    op.drop_table("audit_entry")
    op.drop_table("sign_in_throttle")
    op.drop_index(op.f("ix_department_staff_senior_id"), table_name="department_staff")
    op.drop_table("department_staff")
    op.drop_table("app_user")
