"""The one source of "now" in Recours.

Every instant the application stores comes from :func:`now`, an aware UTC datetime. Tests and the call
simulator move time by installing another clock with :func:`use_clock`; nothing else reads the system
clock, so a simulated call produces the same timeline as a real one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def _system_clock() -> datetime:
    return datetime.now(UTC)


_clock: Clock = _system_clock


def now() -> datetime:
    """The current instant, aware and in UTC."""
    instant = _clock()
    if instant.tzinfo is None:
        raise ValueError("the installed clock returned a naive datetime")
    return instant.astimezone(UTC)


@contextlib.contextmanager
def use_clock(clock: Clock) -> Iterator[None]:
    """Install ``clock`` for the duration of the block (tests, simulations)."""
    global _clock
    previous, _clock = _clock, clock
    try:
        yield
    finally:
        _clock = previous


def iso(at: datetime) -> str:
    """An instant as machines read it (JSON, the API): ISO 8601 in UTC, ``Z`` for the zone."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def utc_text(at: datetime) -> str:
    """An instant in a message for IT (the command line, import errors): minutes, UTC said."""
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
