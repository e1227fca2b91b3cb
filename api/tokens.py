"""Creating, revoking and checking API tokens and calendar feed links; reading the one
``Authorization: Bearer`` header (the API and the report endpoints both ask :func:`token_of_request`).

A secret is shown once, at creation; only its SHA-256 is kept. The secrets carry 256 random bits, so a
plain (unsalted, fast) hash is enough: there is nothing to brute-force. Creating and revoking are
operations: they take an actor and write their own audit entry.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.access import Principal
from accounts.models import Role
from api.models import ApiToken, CalendarFeed, FeedKind
from audit import record, snapshot
from core import clock
from core.actor import Actor
from core.errors import N_, Code, Kind, OperationError
from rota.models import Department, Senior, Specialty

TOKEN_PREFIX = "rcs_"  # recognisable in a leaked config file or a secret scanner


class TokenError(OperationError):
    """A token or feed change refused."""

    prefix = "tokens"
    codes = {
        "name": Code(N_("A token needs a name: who or what uses it."), field="name"),
        "scope": Code(N_("Give the departments the token may change, or make it read-only."), field="departments"),
        "unknown_token": Code(N_("There is no token #{token_id}."), Kind.NOT_FOUND),
        "unknown_feed": Code(N_("There is no calendar feed #{feed_id}."), Kind.NOT_FOUND),
        "unknown_senior": Code(N_("There is no senior #{senior_id}."), field="target"),
        "unknown_specialty": Code(N_("There is no specialty #{specialty_id}."), field="target"),
    }


def bearer_challenge(invalid_token: bool) -> str:
    """The ``WWW-Authenticate`` value of a 401 from the API or a report endpoint (RFC 6750)."""
    return 'Bearer realm="recours"' + (', error="invalid_token"' if invalid_token else "")


class TokenRefused(Exception):
    """An ``Authorization`` header that names no live token: the request is unauthenticated (401)."""

    def __init__(self, detail: str, *, invalid_token: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.invalid_token = invalid_token  # a token was sent (RFC 6750 error="invalid_token"), or none


def _token_values(token: ApiToken) -> dict:
    return snapshot(token, exclude=("token_hash",), departments=[d.id for d in token.departments])


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


def create_token(
    session: Session,
    actor: Actor,
    name: str,
    departments: Sequence[Department],
    *,
    read_only: bool,
    all_departments: bool = False,
    at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its secret (the only time the secret exists outside the caller)."""
    if not name.strip():
        raise TokenError("name")
    if not departments and not read_only and not all_departments:
        raise TokenError("scope")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip()[:120],
        token_hash=digest(secret),
        read_only=read_only,
        all_departments=all_departments and not read_only,
        created_at=at or clock.now(),
        departments=[] if all_departments else list(departments),
    )
    session.add(token)
    session.flush()
    record(session, actor, action="token.create", target_type="token", target_id=token.id, after=_token_values(token), summary=token.name)
    return token, secret


def revoke_token(session: Session, actor: Actor, token_id: int, at: datetime | None = None) -> ApiToken:
    token = session.get(ApiToken, token_id, with_for_update=True)
    if token is None:
        raise TokenError("unknown_token", token_id=token_id)
    if token.revoked_at is None:
        before = _token_values(token)
        token.revoked_at = at or clock.now()
        session.flush()
        record(
            session,
            actor,
            action="token.revoke",
            target_type="token",
            target_id=token.id,
            before=before,
            after=_token_values(token),
            summary=token.name,
        )
    return token


def authenticate(session: Session, secret: str) -> ApiToken | None:
    """The live token whose secret this is, or None."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    return token


def token_of_request(session: Session, header: str | None) -> ApiToken:
    """The live token of an ``Authorization: Bearer <secret>`` header, or :class:`TokenRefused`."""
    scheme, _, secret = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise TokenRefused("send an API token: Authorization: Bearer <token>", invalid_token=False)
    token = authenticate(session, secret.strip())
    if token is None:
        raise TokenRefused("this token is unknown or revoked", invalid_token=True)
    return token


def principal_of_token(token: ApiToken) -> Principal:
    """What the access matrix makes of a token: it reads everything, like a manager; it writes like the
    head of its departments, or like an administrator when it covers every department."""
    if token.read_only:
        return Principal(role=Role.MANAGER)
    if token.all_departments:
        return Principal(role=Role.ADMIN)
    return Principal(role=Role.HEAD, headed_department_ids=token.department_ids)


# -- calendar feeds -----------------------------------------------------------------------------------


def create_feed(
    session: Session, actor: Actor, kind: FeedKind | str, target_id: int, at: datetime | None = None
) -> tuple[CalendarFeed, str]:
    """A new feed link for a senior or a specialty, and its secret (part of the URL)."""
    kind = FeedKind(kind)
    model = Senior if kind is FeedKind.SENIOR else Specialty
    if session.get(model, target_id) is None:
        raise TokenError(f"unknown_{kind.value}", **{f"{kind.value}_id": target_id})
    secret = secrets.token_urlsafe(32)
    feed = CalendarFeed(kind=kind, token_hash=digest(secret), created_at=at or clock.now())
    if kind is FeedKind.SENIOR:
        feed.senior_id = target_id
    else:
        feed.specialty_id = target_id
    session.add(feed)
    session.flush()
    record(session, actor, action="feed.create", target_type="feed", target_id=feed.id, after=snapshot(feed, exclude=("token_hash",)))
    return feed, secret


def revoke_feed(session: Session, actor: Actor, feed_id: int, at: datetime | None = None) -> CalendarFeed:
    feed = session.get(CalendarFeed, feed_id, with_for_update=True)
    if feed is None:
        raise TokenError("unknown_feed", feed_id=feed_id)
    if feed.revoked_at is None:
        before = snapshot(feed, exclude=("token_hash",))
        feed.revoked_at = at or clock.now()
        session.flush()
        record(
            session,
            actor,
            action="feed.revoke",
            target_type="feed",
            target_id=feed.id,
            before=before,
            after=snapshot(feed, exclude=("token_hash",)),
        )
    return feed


def find_feed(session: Session, secret: str) -> CalendarFeed | None:
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == digest(secret)))
    if feed is None or feed.revoked_at is not None:
        return None
    return feed
