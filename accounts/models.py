"""User accounts, the departments whose staff a senior belongs to, and sign-in failure counters."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime
from rota.models import Senior


class Role(enum.StrEnum):
    """What a person does in the web app; what each may do is written in :mod:`accounts.access`."""

    ADMIN = "admin"  # IT or the hotline's owner: everything
    HEAD = "head"  # a department head: rotas, seniors and specialties of the departments they head
    MANAGER = "manager"  # reads rotas (and reports) of every department, changes nothing
    SENIOR = "senior"  # their own duty, swaps, leave, phone numbers and iCal link
    # A department's secretariat: its urgent slots only (who booked, the code, the patient who called).
    SECRETARIAT = "secretariat"


class User(Base):
    """A person who signs in. Heads and seniors are linked to their :class:`rota.models.Senior`;
    the departments a head heads are those of ``department_head`` (the rota's own record)."""

    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]))
    senior_id: Mapped[int | None] = mapped_column(ForeignKey("senior.id", ondelete="SET NULL"), unique=True)
    language: Mapped[str] = mapped_column(String(2), default="fr")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Part of the session cookie's user id: raising it (new password, deactivation) signs out every browser,
    # on top of the server-side sessions (:class:`WebSession`) that end then.
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    # Set on an account whose password someone else chose and showed (the demo administrator's): every
    # page leads to the password form until the person chooses their own.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # Optimistic concurrency for edits by administrators (SQLAlchemy checks it on every UPDATE).
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SHA-256 of the secret part of the senior's iCal feed URL (shown once, like API tokens); None: no feed.
    ical_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    senior: Mapped[Senior | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    # -- Flask-Login ---------------------------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"


class WebSession(Base):
    """One signed-in browser, kept server-side: the cookie carries a random secret whose SHA-256 is
    ``id``. Deleting the row ends the sign-in whatever the browser kept (sign-out, a new password,
    deactivation); ``expires_at`` is the absolute end that activity never extends."""

    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class DepartmentStaff(Base):
    """A senior is a member of a department: the one fact that gives its heads authority over the senior
    (with the department's heads, who are members too; see :mod:`accounts.scope`). Kept by
    administrators, and by a head for their own departments. Holding duty in a department's specialty is
    not membership (issue 10)."""

    __tablename__ = "department_staff"

    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"), primary_key=True)
    senior_id: Mapped[int] = mapped_column(ForeignKey("senior.id", ondelete="CASCADE"), primary_key=True, index=True)


class SignInThrottle(Base):
    """Failed sign-ins of one account name (``scope="account"``) or one client address (``"ip"``).

    Keyed by what was typed, not by user id, so an unknown address is throttled exactly like a known one.
    """

    __tablename__ = "sign_in_throttle"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(254))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SecretariatDepartment(Base):
    """A secretariat account works for a department: it sees that department's urgent slots, and is told
    by e-mail when one is booked. Kept by administrators on the account's page."""

    __tablename__ = "secretariat_department"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"), primary_key=True, index=True)
