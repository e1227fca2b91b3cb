"""Server-side sign-in sessions: a sign-in lasts until it is ended here, whatever a browser kept.

The session cookie (signed with SECRET_KEY, shared by every worker and instance) carries a random secret;
the database keeps only its SHA-256 (:class:`accounts.models.WebSession`). Every request checks the row:
deleted (sign-out, new password, deactivation), idle for longer than SESSION_HOURS, or past its absolute
end (SESSION_MAX_HOURS after sign-in, never extended by activity) — then the browser is signed out, and a
copied cookie replayed later is worth nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from accounts.models import WebSession

# Activity is written at most this often, so a page view rarely writes at all.
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class Lifetime:
    idle: timedelta  # SESSION_HOURS
    absolute: timedelta  # SESSION_MAX_HOURS

    @classmethod
    def from_settings(cls, web) -> Lifetime:
        return cls(timedelta(hours=web.session_hours), timedelta(hours=web.session_max_hours))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_session(session: Session, user_id: int, now: datetime, lifetime: Lifetime) -> str:
    """A new sign-in; returns the secret for the cookie. Forgets sessions that have ended on their own."""
    session.execute(delete(WebSession).where(or_(WebSession.expires_at <= now, WebSession.last_seen_at <= now - lifetime.idle)))
    secret = secrets.token_urlsafe(32)
    session.add(WebSession(id=digest(secret), user_id=user_id, created_at=now, last_seen_at=now, expires_at=now + lifetime.absolute))
    session.flush()
    return secret


@dataclass(frozen=True)
class Check:
    live: bool
    needs_touch: bool = False


def check(session: Session, secret: object, user_id: int, now: datetime, lifetime: Lifetime) -> Check:
    """Is this browser's sign-in still live? (read only; :func:`touch` records activity)."""
    if not isinstance(secret, str) or not secret:
        return Check(False)
    row = session.execute(
        select(WebSession.user_id, WebSession.last_seen_at, WebSession.expires_at).where(WebSession.id == digest(secret))
    ).first()
    if row is None or row.user_id != user_id or row.expires_at <= now or row.last_seen_at + lifetime.idle <= now:
        return Check(False)
    return Check(True, needs_touch=now - row.last_seen_at >= TOUCH_EVERY)


def touch(session: Session, secret: str, now: datetime) -> None:
    session.execute(update(WebSession).where(WebSession.id == digest(secret)).values(last_seen_at=now))


def end(session: Session, secret: object) -> None:
    if isinstance(secret, str) and secret:
        session.execute(delete(WebSession).where(WebSession.id == digest(secret)))


def end_all(session: Session, user_id: int) -> None:
    """Every browser of this user is signed out (a new password, a deactivated account)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))
