"""A deadline for the work of one request, which the database waits respect.

A webhook must answer Twilio within its budget whatever the database does: refuse (fails at once),
hang (a failover, a full disk, a lock storm, a partition: the socket accepts and nothing comes back) or
crawl (seconds per round trip). PostgreSQL's own ``statement_timeout`` cannot help when nothing reaches
the server, so the client bounds its waits itself: :func:`within` sets the instant by which the current
thread's work must be done, and the webhook engine's connections (:mod:`core.db`) never wait past it —
connecting, pinging, querying or committing. Past the deadline, a wait fails with
:class:`DeadlineExceeded` (a DB-API ``OperationalError``, so SQLAlchemy discards the connection) and the
webhook answers from degraded mode.

Each thread (each request of a gthread worker) has its own deadline: a context variable.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("recours_deadline", default=None)


class DeadlineExceeded(Exception):
    """Raised in place of waiting past the current deadline (see :func:`remaining`)."""


def start(seconds: float) -> None:
    """The current work must be done ``seconds`` from now (replaces any deadline already set)."""
    _deadline.set(time.monotonic() + seconds)


def clear() -> None:
    _deadline.set(None)


@contextlib.contextmanager
def within(seconds: float) -> Iterator[None]:
    """Run the block under a deadline ``seconds`` from now; the previous deadline is restored after."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


@contextlib.contextmanager
def at_most(seconds: float) -> Iterator[None]:
    """Like :func:`within`, but never later than the deadline already set: work a request does on
    behalf of another (the journal's writer catching up) keeps the request's own bound."""
    until = time.monotonic() + seconds
    current = _deadline.get()
    token = _deadline.set(until if current is None else min(current, until))
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left before the deadline (0 or less once it has passed); None when there is none."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def spent() -> bool:
    """True once the current deadline has passed (False when there is none)."""
    left = remaining()
    return left is not None and left <= 0
