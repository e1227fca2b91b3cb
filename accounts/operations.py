"""Changes to accounts. Each function takes the actor, checks its arguments, writes its audit entry (never
a password or a secret) and flushes; the caller commits once. A refusal raises :class:`AccountError` with a
code and the field it is about (see :mod:`core.errors`)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, object_session

from accounts import passwords, sessions, throttle
from accounts.models import Role, SecretariatDepartment, User
from accounts.scope import secretariat_department_ids
from accounts.sessions import digest
from audit import record, snapshot
from core import clock
from core.actor import Actor, ActorKind
from core.errors import N_, Code, Kind, OperationError
from rota.models import Department, Senior

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LANGUAGES = ("fr", "en")


class AccountError(OperationError):
    """A change the accounts refuse."""

    prefix = "accounts"
    codes = {
        "email": Code(N_("{email} is not an e-mail address."), field="email"),
        "email_taken": Code(N_("An account already uses {email}."), Kind.CONFLICT, "email"),
        "name": Code(N_("A name is needed."), field="full_name"),
        "role": Code(N_("Unknown role {role}."), field="role"),
        "senior_required": Code(N_("A head of department or a senior must be linked to their senior record."), field="senior_id"),
        "unknown_senior": Code(N_("There is no senior #{senior_id}."), field="senior_id"),
        "senior_has_account": Code(N_("This senior already has an account."), Kind.CONFLICT, "senior_id"),
        "language": Code(N_("The language is fr or en."), field="language"),
        "password_too_short": Code(N_("A password has at least {length} characters."), field="password"),
        "password_too_long": Code(N_("A password has at most {length} characters."), field="password"),
        "password_personal": Code(N_("A password must not contain your name or e-mail address."), field="password"),
        "password_guessable": Code(
            N_("This password is too easy to guess (common words, names, dates or keyboard sequences). A short sentence works well."),
            field="password",
        ),
        "unknown_user": Code(N_("There is no account #{user_id}."), Kind.NOT_FOUND),
        "secretariat_departments": Code(N_("A secretariat works for at least one department."), field="departments"),
        "unknown_department": Code(N_("There is no department #{department_id}."), field="departments"),
    }


def user_values(user: User) -> dict:
    """What the audit log keeps of an account: never its password hash or its secrets."""
    extra = {"departments": sorted(secretariat_department_ids(object_session(user), user.id))} if user.role is Role.SECRETARIAT else {}
    return snapshot(user, exclude=("password_hash", "ical_token_hash", "must_change_password", "session_version", "version"), **extra)


def _set_secretariat_departments(session: Session, user: User, departments: Collection[int] | None) -> None:
    """A secretariat account's departments (at least one; None keeps those it has); other roles work for none."""
    if departments is None:
        departments = secretariat_department_ids(session, user.id)
    wanted = sorted(set(departments or ())) if user.role is Role.SECRETARIAT else []
    if user.role is Role.SECRETARIAT and not wanted:
        raise AccountError("secretariat_departments")
    for department_id in wanted:
        if session.get(Department, department_id) is None:
            raise AccountError("unknown_department", department_id=department_id)
    session.execute(delete(SecretariatDepartment).where(SecretariatDepartment.user_id == user.id))
    session.add_all(SecretariatDepartment(user_id=user.id, department_id=d) for d in wanted)
    session.flush()


def _audit(session: Session, actor: Actor, action: str, user: User, before: dict | None, after: dict | None, summary: str = "") -> None:
    record(session, actor, action=action, target_type="user", target_id=user.id, before=before, after=after, summary=summary or user.email)


def _strong(password: str, *, email: str, full_name: str) -> None:
    try:
        passwords.check_strength(password, email=email, full_name=full_name)
    except passwords.WeakPassword as exc:
        raise AccountError(f"password_{exc.reason}", **exc.params) from None


def normalise_email(raw: str) -> str:
    email = (raw or "").strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        raise AccountError("email", email=raw)
    return email


def _check_role_and_senior(session: Session, role: Role | str, senior_id: int | None, user_id: int | None) -> Role:
    try:
        role = Role(role)
    except ValueError:
        raise AccountError("role", role=role) from None
    if role in (Role.HEAD, Role.SENIOR) and senior_id is None:
        raise AccountError("senior_required")
    if senior_id is not None:
        if session.get(Senior, senior_id) is None:
            raise AccountError("unknown_senior", senior_id=senior_id)
        other = session.scalar(select(User.id).where(User.senior_id == senior_id, User.id != (user_id or 0)))
        if other is not None:
            raise AccountError("senior_has_account")
    return role


def create_user(
    session: Session,
    actor: Actor,
    *,
    email: str,
    full_name: str,
    role: Role | str,
    password: str,
    at: datetime | None = None,
    senior_id: int | None = None,
    language: str = "fr",
    must_change_password: bool = False,
    departments: Collection[int] | None = None,
) -> User:
    email = normalise_email(email)
    if not full_name.strip():
        raise AccountError("name")
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise AccountError("email_taken", email=email)
    role = _check_role_and_senior(session, role, senior_id, None)
    if language not in LANGUAGES:
        raise AccountError("language")
    _strong(password, email=email, full_name=full_name)
    user = User(
        email=email,
        full_name=full_name.strip(),
        role=role,
        senior_id=senior_id,
        language=language,
        active=True,
        password_hash=passwords.hash_password(password),
        session_version=0,
        must_change_password=must_change_password,
        created_at=at or clock.now(),
    )
    session.add(user)
    session.flush()
    _set_secretariat_departments(session, user, departments)
    _audit(session, actor, "user.create", user, None, user_values(user))
    return user


def update_user(
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    expected_version: int | None = None,
    full_name: str,
    role: Role | str,
    senior_id: int | None,
    language: str,
    active: bool,
    email: str,
    departments: Collection[int] | None = None,
) -> User:
    """``expected_version``: the account's ``version`` when the form was opened (``core.changed`` otherwise)."""
    user = session.get(User, user_id, with_for_update=True, populate_existing=True)
    if user is None:
        raise AccountError("unknown_user", user_id=user_id)
    if expected_version is not None and user.version != expected_version:
        raise AccountError("changed")
    before = user_values(user)
    email = normalise_email(email)
    if email != user.email and session.scalar(select(func.count()).select_from(User).where(User.email == email, User.id != user.id)):
        raise AccountError("email_taken", email=email)
    if not full_name.strip():
        raise AccountError("name")
    role = _check_role_and_senior(session, role, senior_id, user.id)
    if language not in LANGUAGES:
        raise AccountError("language")
    if user.active and not active:
        user.session_version += 1  # signs the person out everywhere
        sessions.end_all(session, user.id)
    user.email, user.full_name, user.role, user.senior_id, user.language, user.active = (
        email,
        full_name.strip(),
        role,
        senior_id,
        language,
        active,
    )
    session.flush()
    _set_secretariat_departments(session, user, departments)
    _audit(session, actor, "user.update", user, before, user_values(user))
    return user


def set_password(session: Session, actor: Actor, user: User, password: str, *, chosen_by_user: bool = True) -> None:
    """A new password signs out every browser the user was signed in on (the caller may open a new
    session for the browser that changed it) and lifts a sign-in lock. A password chosen for someone
    else (``chosen_by_user`` false) must be changed by them at their next sign-in."""
    _strong(password, email=user.email, full_name=user.full_name)
    user.password_hash = passwords.hash_password(password)
    user.session_version += 1
    user.must_change_password = not chosen_by_user
    sessions.end_all(session, user.id)
    throttle.unlock(session, user.email)
    session.flush()
    _audit(session, actor, "user.password", user, None, None)


def new_ical_token(session: Session, actor: Actor, user: User) -> str:
    """A new secret for the user's iCal feed, returned once (only its hash is kept); the previous link
    stops working."""
    secret = secrets.token_urlsafe(32)
    user.ical_token_hash = digest(secret)
    session.flush()
    _audit(session, actor, "user.ical", user, None, None, "new iCal link")
    return secret


def revoke_ical_token(session: Session, actor: Actor, user: User) -> None:
    user.ical_token_hash = None
    session.flush()
    _audit(session, actor, "user.ical", user, None, None, "iCal link revoked")


def user_of_ical_secret(session: Session, secret: str) -> User | None:
    """The active account whose iCal link carries ``secret``."""
    if not 32 <= len(secret) <= 128:
        return None
    return session.scalars(select(User).where(User.ical_token_hash == digest(secret), User.active.is_(True))).first()


@dataclass(frozen=True)
class SignInResult:
    user: User | None  # set when the password was right and the account is active
    locked_for: timedelta | None = None  # set when sign-ins for this name or address are refused for now


def authenticate(
    session: Session, policy: throttle.ThrottlePolicy, email: str, password: str, ip: str | None, now: datetime
) -> SignInResult:
    """Check a sign-in. Failures are counted (caller commits either way); a wrong password, an unknown
    address and a deactivated account look the same from outside."""
    key = (email or "").strip().lower()
    locked = throttle.locked_for(session, policy, key, ip, now)
    if locked is not None:
        return SignInResult(None, locked)
    user = session.scalars(select(User).where(User.email == key)).first() if key else None
    matches, new_hash = passwords.verify(user.password_hash if user is not None else None, password)
    if user is None or not matches or not user.active:
        throttle.record_failure(session, policy, key, ip, now)
        locked_for = throttle.locked_for(session, policy, key, ip, now)
        # The attempt is audited without the password, with the address typed (a known account or not).
        record(
            session,
            Actor(ActorKind.SYSTEM, "sign-in form", remote_addr=ip),
            action="user.sign_in_failed",
            target_type="user",
            target_id=None,
            summary=(email or "")[:254] + (" (locked)" if locked_for is not None else ""),
        )
        return SignInResult(None, locked_for)
    throttle.record_success(session, key)
    if new_hash is not None:
        user.password_hash = new_hash
    user.last_sign_in_at = now
    session.flush()
    _audit(session, Actor.for_user(user, ip), "user.sign_in", user, None, None)
    return SignInResult(user)


def signed_out(session: Session, actor: Actor, user: User) -> None:
    """The person ended their sign-in (the caller ends the session itself)."""
    _audit(session, actor, "user.sign_out", user, None, None)


def load_session_user(session: Session, cookie_id: str) -> User | None:
    """The user behind Flask-Login's ``"<id>.<session_version>"``, if that sign-in is still valid."""
    user_id, _, version = cookie_id.partition(".")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user
