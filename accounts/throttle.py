"""A growing lock after repeated failed sign-ins, per account name and per client address.

Counters live in the database, so every worker and every instance sees the same ones. The first
``free`` failures cost nothing; the one that reaches ``free`` locks for ``lock_seconds``, and every
further failure doubles the lock, up to ``max_lock_seconds``. A counter is forgotten a day after its
last failure; a successful sign-in clears the account's counter (not the address's, or an attacker
could clear it by signing in to an account of their own between guesses). While locked, the password
is not even checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accounts.models import SignInThrottle
from core.config import WebSettings
from core.db import insert_ignoring_duplicates

FORGET_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int = 5
    ip_free_failures: int = 50
    lock_seconds: int = 30
    max_lock_seconds: int = 900

    @classmethod
    def from_settings(cls, web: WebSettings) -> ThrottlePolicy:
        return cls(web.sign_in_free_failures, web.sign_in_ip_free_failures, web.sign_in_lock_seconds, web.sign_in_max_lock_seconds)

    def lock_after(self, failures: int, free: int) -> timedelta | None:
        if failures < free:
            return None
        exponent = min(failures - free, 30)
        return timedelta(seconds=min(self.lock_seconds * 2**exponent, self.max_lock_seconds))


def _keys(account_key: str, ip: str | None, policy: ThrottlePolicy) -> list[tuple[str, str, int]]:
    keys = [("account", account_key[:254], policy.free_failures)]
    if ip:
        keys.append(("ip", ip[:254], policy.ip_free_failures))
    return keys


def locked_for(session: Session, policy: ThrottlePolicy, account_key: str, ip: str | None, now: datetime) -> timedelta | None:
    """How long sign-ins for this account name or from this address stay refused, or None."""
    longest: timedelta | None = None
    for scope, key, _ in _keys(account_key, ip, policy):
        row = session.scalars(select(SignInThrottle).where(SignInThrottle.scope == scope, SignInThrottle.key == key)).first()
        if row is not None and row.locked_until is not None and row.locked_until > now:
            remaining = row.locked_until - now
            longest = remaining if longest is None else max(longest, remaining)
    return longest


def record_failure(session: Session, policy: ThrottlePolicy, account_key: str, ip: str | None, now: datetime) -> None:
    for scope, key, free in _keys(account_key, ip, policy):
        insert_ignoring_duplicates(
            session, SignInThrottle, {"scope": scope, "key": key, "failures": 0, "last_failure_at": now}, ["scope", "key"]
        )
        # Locked, so two failures at once both count (PostgreSQL; SQLite transactions are serialised).
        row = session.scalars(
            select(SignInThrottle).where(SignInThrottle.scope == scope, SignInThrottle.key == key).with_for_update()
        ).one()
        if now - row.last_failure_at > FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        lock = policy.lock_after(row.failures, free)
        row.locked_until = None if lock is None else now + lock
    session.flush()


def record_success(session: Session, account_key: str) -> None:
    session.execute(delete(SignInThrottle).where(SignInThrottle.scope == "account", SignInThrottle.key == account_key[:254]))


def unlock(session: Session, account_key: str) -> None:
    """For an administrator: forget the account's failures."""
    record_success(session, account_key)
