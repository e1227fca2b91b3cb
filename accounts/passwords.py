"""Password hashing with Argon2id: argon2-cffi's defaults (RFC 9106's low-memory profile: 64 MiB,
3 passes), about 0.8 s of one core per hash or check on the reference 2-core machine — which is also why
sign-in failures are throttled before the password is even checked (:mod:`accounts.throttle`)."""

from __future__ import annotations

import contextlib
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256  # hashing a megabyte of "password" is a denial of service, not a password

_hasher = PasswordHasher()


class WeakPassword(ValueError):
    """``reason`` says what is wrong (too_short, too_long, repetitive, personal); ``params`` its limits."""

    def __init__(self, reason: str, **params: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


def use_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Install other Argon2 parameters (tests use cheap ones); returns the previous hasher."""
    global _hasher
    previous, _hasher = _hasher, hasher
    _dummy_hash.cache_clear()
    return previous


@functools.cache
def _dummy_hash() -> str:
    # Checked when the account does not exist, so an unknown address takes as long as a wrong password.
    return _hasher.hash("not the password of anyone: only spends the time of a verification")


def check_strength(password: str, *, email: str = "", full_name: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword("too_short", length=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise WeakPassword("too_long", length=MAX_LENGTH)
    lowered = password.casefold()
    if len(set(lowered)) < 5:
        raise WeakPassword("repetitive")
    for personal in (email.split("@")[0], *full_name.split()):
        if len(personal) >= 4 and personal.casefold() in lowered:
            raise WeakPassword("personal")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> tuple[bool, str | None]:
    """(matches, a new hash when the stored one uses other parameters than today's)."""
    if password_hash is None or len(password) > MAX_LENGTH:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash(), password[:MAX_LENGTH])
        return False, None
    try:
        _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    return True, (_hasher.hash(password) if _hasher.check_needs_rehash(password_hash) else None)
