"""After the database failed a webhook, the webhooks of the next few seconds do not wait for it.

A hung database (a failover, a full disk, a partition: the socket accepts, nothing comes back) costs
each webhook its whole budget before it answers from degraded mode (:mod:`core.deadline`). The
answer is right, but every GP on the line waits the budget at every step, and a gthread worker's
threads are all held meanwhile. So the first failure of that kind *opens* the breaker: for
:attr:`WebhookBudget.breaker_seconds` the webhooks' sessions refuse at once
(:class:`DatabaseUnavailable`), and the webhooks route from the snapshot and keep their facts in the
journal without waiting. Then one webhook is let through to try (half-open); the others still skip
the database while it does. Its success, or any statement that succeeds on the webhooks' engine (the
journal's writer, ``/readyz``), closes the breaker.

Only the failures that say "the database is not there" open it: a connection refused or lost, a wait
cut by the deadline. A refused fact (a constraint) or SQLite's
write lock (a local file, busy for milliseconds) does not: they are answered as before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, event, exc

from core import deadline

log = logging.getLogger(__name__)


class DatabaseUnavailable(exc.OperationalError):
    """Raised by a webhook's session instead of waiting for a database known not to answer."""

    def __init__(self, why: str) -> None:
        super().__init__(None, None, Exception(why))


def is_outage(error: BaseException) -> bool:
    """True for a failure that says the database is away or too slow, not that it refused something."""
    if isinstance(error, DatabaseUnavailable):
        return False  # the breaker's own refusal: already open
    if isinstance(error, deadline.DeadlineExceeded | exc.TimeoutError):
        return True
    if isinstance(error, exc.DBAPIError):
        return error.connection_invalidated or isinstance(error.orig, deadline.DeadlineExceeded)
    return False


class DatabaseBreaker:
    """The state shared by one application's webhooks in one process. ``seconds`` 0 disables it."""

    def __init__(self, seconds: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._open_until: float | None = None  # None: closed
        self._probing_until = 0.0
        self.opened = 0  # how many times it opened, for /readyz and the tests
        self.turned_away = 0  # webhook sessions refused without waiting
        self.last_reason: str | None = None

    @property
    def is_open(self) -> bool:
        return self._open_until is not None

    def allows(self, probe_seconds: float) -> bool:
        """May a webhook use the database now? Closed: yes. Open: no, until the cool-down is over;
        then one caller (the probe) may, for ``probe_seconds``, and the others still may not."""
        if self._open_until is None:
            return True
        with self._lock:
            if self._open_until is None:
                return True
            now = self._monotonic()
            if now >= self._open_until and now >= self._probing_until:
                self._probing_until = now + probe_seconds
                return True
            self.turned_away += 1
            return False

    def trip(self, error: BaseException) -> None:
        if self.seconds <= 0:
            return
        with self._lock:
            was_open = self._open_until is not None
            self._open_until = self._monotonic() + self.seconds
            self._probing_until = 0.0
            self.last_reason = f"{type(error).__name__}: {error}".splitlines()[0][:200]
            if not was_open:
                self.opened += 1
        if not was_open:
            log.warning(
                "database breaker open for %.1f s: webhooks route from the snapshot and journal their facts (%s)",
                self.seconds,
                self.last_reason,
            )

    def close(self) -> None:
        if self._open_until is None:
            return
        with self._lock:
            if self._open_until is None:
                return
            self._open_until = None
            self._probing_until = 0.0
        log.warning("database breaker closed: the database answers again")

    def state(self) -> dict[str, object]:
        left = None if self._open_until is None else max(0.0, round(self._open_until - self._monotonic(), 1))
        return {"open": self.is_open, "retry_in_seconds": left, "opened": self.opened, "reason": self.last_reason if self.is_open else None}


def is_outage_of(context) -> bool:
    """For SQLAlchemy's ``handle_error`` event: the failure says the database is away or too slow."""
    error = context.sqlalchemy_exception if context.sqlalchemy_exception is not None else context.original_exception
    # No connection to speak of: connecting itself failed (refused, unreachable, cut by the deadline).
    connecting = context.connection is None and isinstance(error, exc.OperationalError | exc.InterfaceError)
    return connecting or context.is_disconnect or is_outage(error) or isinstance(context.original_exception, deadline.DeadlineExceeded)


def watch(engine: Engine, breaker: DatabaseBreaker) -> None:
    """Open ``breaker`` on the outages ``engine`` meets, close it on its next statement that succeeds."""

    @event.listens_for(engine, "handle_error")
    def _failed(context) -> None:
        if is_outage_of(context):
            breaker.trip(context.original_exception)

    @event.listens_for(engine, "after_cursor_execute")
    def _answered(*_args) -> None:
        if breaker.is_open:
            breaker.close()
