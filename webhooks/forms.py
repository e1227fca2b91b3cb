"""Reading Twilio's form fields. Nothing Twilio sends is trusted to have a shape: ``From`` may be
"anonymous", numbers may be missing, a timestamp may not parse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from werkzeug.datastructures import MultiDict


class MalformedRequest(ValueError):
    """A signed request that lacks what every Twilio request carries (a CallSid)."""


def text(form: MultiDict[str, str], name: str, limit: int = 256) -> str:
    """A field as text, trimmed and bounded; NUL characters (which PostgreSQL refuses) are dropped."""
    return (form.get(name) or "").replace("\x00", "").strip()[:limit]


@dataclass(frozen=True)
class CallFields:
    sid: str
    caller: str
    dialled: str

    @classmethod
    def parse(cls, form: MultiDict[str, str]) -> CallFields:
        sid = text(form, "CallSid", 64)
        if not sid:
            raise MalformedRequest("no CallSid")
        return cls(sid=sid, caller=text(form, "From", 64) or "unknown", dialled=text(form, "To", 64))


def small_int(raw: str | None, *, low: int = 0, high: int = 10_000) -> int | None:
    """An integer in a sane range, or None for anything else."""
    try:
        value = int((raw or "").strip())
    except ValueError:
        return None
    return value if low <= value <= high else None


def timestamp(raw: str | None, default: datetime) -> datetime:
    """Twilio's RFC 2822 ``Timestamp``: the time the event happened, which may be long before we
    receive it when callbacks queue up."""
    if not raw:
        return default
    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return default
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
