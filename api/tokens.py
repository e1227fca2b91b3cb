"""Creating, listing, revoking and checking API tokens and calendar feed links.

A secret is shown once, at creation; only its SHA-256 is kept. The secrets carry 256 random bits, so a
plain (unsalted, fast) hash is enough: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import ApiToken, CalendarFeed, FeedKind
from rota.models import Department, Senior, Specialty

TOKEN_PREFIX = "rcs_"  # recognisable in a leaked config file or a secret scanner


class TokenError(ValueError):
    """A token or feed change refused; the message says why."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def find_department(session: Session, text: str) -> Department | None:
    """A department by id or exact name."""
    text = text.strip()
    if text.isdigit():
        found = session.get(Department, int(text))
        if found is not None:
            return found
    return session.scalar(select(Department).where(Department.name == text))


def create_token(session: Session, name: str, departments: Sequence[Department], *, read_only: bool, at: datetime) -> tuple[ApiToken, str]:
    """A new token and its secret (the only time the secret exists outside the caller)."""
    if not name.strip():
        raise TokenError("a token needs a name (who or what uses it)")
    if not departments and not read_only:
        raise TokenError("give the departments the token may change (--department), or make it --read-only")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name.strip()[:120], token_hash=digest(secret), read_only=read_only, created_at=at, departments=list(departments))
    session.add(token)
    session.flush()
    return token, secret


def revoke_token(session: Session, token_id: int, at: datetime) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise TokenError(f"no token #{token_id}")
    if token.revoked_at is None:
        token.revoked_at = at
        session.flush()
    return token


def authenticate(session: Session, secret: str) -> ApiToken | None:
    """The live token whose secret this is, or None."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    return token


# -- calendar feeds -----------------------------------------------------------------------------------


def create_feed(session: Session, kind: FeedKind | str, target_id: int, at: datetime) -> tuple[CalendarFeed, str]:
    """A new feed link for a senior or a specialty, and its secret (part of the URL)."""
    kind = FeedKind(kind)
    model = Senior if kind is FeedKind.SENIOR else Specialty
    if session.get(model, target_id) is None:
        raise TokenError(f"no {kind.value} #{target_id}")
    secret = secrets.token_urlsafe(32)
    feed = CalendarFeed(kind=kind, token_hash=digest(secret), created_at=at)
    if kind is FeedKind.SENIOR:
        feed.senior_id = target_id
    else:
        feed.specialty_id = target_id
    session.add(feed)
    session.flush()
    return feed, secret


def revoke_feed(session: Session, feed_id: int, at: datetime) -> CalendarFeed:
    feed = session.get(CalendarFeed, feed_id)
    if feed is None:
        raise TokenError(f"no calendar feed #{feed_id}")
    if feed.revoked_at is None:
        feed.revoked_at = at
        session.flush()
    return feed


def find_feed(session: Session, secret: str) -> CalendarFeed | None:
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == digest(secret)))
    if feed is None or feed.revoked_at is not None:
        return None
    return feed
