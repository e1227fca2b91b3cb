"""Password rules and hashing.

Strength: at least 12 characters, not containing the person's name or e-mail address, and zxcvbn
(Dropbox's estimator: dictionaries of common passwords, names and words, keyboard patterns, dates,
repeats, l33t) must score it at least 3 of 4 ("safely unguessable") once it is told the person's name,
e-mail address and the words of a French hospital that its English dictionaries lack. A refusal names
its reason; :class:`accounts.operations.AccountError` carries the words.

Hashing: Argon2id: argon2-cffi's defaults (RFC 9106's low-memory profile: 64 MiB,
3 passes), about 0.8 s of one core per hash or check on the reference 2-core machine — which is also why
sign-in failures are throttled before the password is even checked (:mod:`accounts.throttle`)."""

from __future__ import annotations

import contextlib
import functools
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 256  # hashing a megabyte of "password" is a denial of service, not a password
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable: moderate protection from offline slow-hash scenario"
# zxcvbn's dictionaries are English: French words people build passwords from, in a hospital.
FRENCH_WORDS = (
    "motdepasse", "azerty", "azertyuiop", "qsdfghjklm", "wxcvbn", "soleil", "bonjour", "bonsoir", "salut", "coucou",
    "chouchou", "doudou", "amour", "jetaime", "loulou", "chocolat", "marseille", "paris", "lyon", "toulouse", "nantes",
    "bordeaux", "lille", "france", "hopital", "hôpital", "clinique", "chu", "chru", "aphp", "medecin", "médecin",
    "docteur", "infirmier", "infirmiere", "urgences", "urgence", "garde", "astreinte", "service", "recours", "sante",
    "santé", "patient", "neurologie", "cardiologie", "pediatrie", "pédiatrie", "chirurgie", "radiologie", "interne",
    "bienvenue", "secret", "admin", "administrateur", "utilisateur",
)  # fmt: skip

_hasher = PasswordHasher()


class WeakPassword(ValueError):
    """``reason`` says what is wrong (too_short, too_long, personal, guessable); ``params`` its limits."""

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


def _personal_words(email: str, full_name: str) -> list[str]:
    local, _, domain = email.casefold().partition("@")
    words = [local, *re.split(r"[^\w]+", local), *re.split(r"[^\w]+", domain), *re.split(r"[\s'-]+", full_name.casefold())]
    return [w for w in dict.fromkeys(words) if len(w) >= 3]


def check_strength(password: str, *, email: str = "", full_name: str = "") -> None:
    """Raises :class:`WeakPassword` unless the password is long, not built from the person's name or
    e-mail address, and not guessable (a zxcvbn score of at least :data:`MIN_SCORE`)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword("too_short", length=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise WeakPassword("too_long", length=MAX_LENGTH)
    lowered = password.casefold()
    personal = _personal_words(email, full_name)
    if any(len(word) >= 4 and word in lowered for word in personal):
        raise WeakPassword("personal")
    if zxcvbn(password, user_inputs=[*personal, *FRENCH_WORDS])["score"] < MIN_SCORE:
        raise WeakPassword("guessable")


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
