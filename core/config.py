"""Settings, read once from environment variables (or a mapping given to ``create_app``).

Every value is checked at start-up: a missing or malformed one stops the application with a message that
names the variable, rather than failing on the first call a GP makes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from core.phones import InvalidPhoneNumber, to_e164


class ConfigError(RuntimeError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    twilio_account_sid: str | None
    # The first token signs and validates; the second is accepted during an Auth Token rotation.
    twilio_auth_tokens: tuple[str, ...]
    public_base_url: str
    hotline_number: str
    fallback_number: str
    ring_timeout: int
    menu_timeout: int
    screen_timeout: int
    menu_max_failures: int
    record_max_length: int
    show_gp_number_to_senior: bool
    tts_voice_fr: str
    tts_voice_en: str


def _phone(env: Mapping[str, str], name: str) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        raise ConfigError(f"{name} is not set: give the number in E.164 (+33...) or French national format")
    try:
        return to_e164(raw)
    except InvalidPhoneNumber as exc:
        raise ConfigError(f"{name} is not a valid phone number: {exc}") from None


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of seconds, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _base_url(env: Mapping[str, str]) -> str:
    raw = env.get("PUBLIC_BASE_URL", "").strip()
    if not raw:
        raise ConfigError("PUBLIC_BASE_URL is not set: give the URL Twilio uses to reach Recours, e.g. https://recours.example.org")
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"PUBLIC_BASE_URL must be an http(s) URL without query, got {raw!r}")
    return raw.rstrip("/")


def default_database_url(instance_path: str | os.PathLike[str]) -> str:
    return f"sqlite:///{Path(instance_path) / 'recours.sqlite3'}"


def load_settings(env: Mapping[str, str], instance_path: str | os.PathLike[str]) -> Settings:
    """Build and validate the settings; raises :class:`ConfigError` naming the first bad variable."""
    tokens = tuple(t for t in (env.get("TWILIO_AUTH_TOKEN", "").strip(), env.get("TWILIO_AUTH_TOKEN_SECONDARY", "").strip()) if t)
    account_sid = env.get("TWILIO_ACCOUNT_SID", "").strip() or None
    if account_sid is not None and not (account_sid.startswith("AC") and len(account_sid) == 34):
        raise ConfigError(f"TWILIO_ACCOUNT_SID must look like AC followed by 32 characters, got {account_sid!r}")
    database_url = env.get("DATABASE_URL", "").strip() or default_database_url(instance_path)
    if "://" not in database_url:
        raise ConfigError(f"DATABASE_URL must be a SQLAlchemy URL (sqlite:///..., postgresql+psycopg://...), got {database_url!r}")
    return Settings(
        database_url=database_url,
        secret_key=env.get("SECRET_KEY", "").strip() or os.urandom(32).hex(),
        twilio_account_sid=account_sid,
        twilio_auth_tokens=tokens,
        public_base_url=_base_url(env),
        hotline_number=_phone(env, "HOTLINE_NUMBER"),
        fallback_number=_phone(env, "FALLBACK_NUMBER"),
        ring_timeout=_int(env, "RING_TIMEOUT", 20, 5, 120),
        menu_timeout=_int(env, "MENU_TIMEOUT", 5, 1, 30),
        screen_timeout=_int(env, "SCREEN_TIMEOUT", 6, 1, 30),
        menu_max_failures=_int(env, "MENU_MAX_FAILURES", 3, 1, 10),
        record_max_length=_int(env, "RECORD_MAX_LENGTH", 120, 10, 600),
        show_gp_number_to_senior=_bool(env, "SHOW_GP_NUMBER_TO_SENIOR", False),
        tts_voice_fr=env.get("TTS_VOICE_FR", "").strip() or "Polly.Lea",
        tts_voice_en=env.get("TTS_VOICE_EN", "").strip() or "Polly.Amy",
    )
