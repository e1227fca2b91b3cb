"""Checking a pooled PostgreSQL connection only when it may have gone stale.

SQLAlchemy's ``pool_pre_ping`` costs a round trip (``SELECT 1``) at every checkout: on the hotline's hot
path, one webhook in, one more round trip out of three or four, paid while the GP waits. A connection
used a moment ago is alive unless the server went away in that very moment; one that sat idle for a
while may have been closed meanwhile (a server restart, ``idle_session_timeout``, a proxy or firewall
dropping quiet connections). So the ping is kept for those only: a connection last returned to the pool
more than :data:`IDLE_BEFORE_PING` seconds ago is pinged at checkout, and replaced if the ping fails (the
pool tries another, then a new one). A busy hotline checks out the same few connections again within
milliseconds and pings nothing; a quiet one pings as before.

The trade-off, said plainly: a connection that dies less than :data:`IDLE_BEFORE_PING` seconds after its
last use (PostgreSQL restarted under traffic) fails the statement of the webhook that gets it.
SQLAlchemy then recognises the disconnect and invalidates the whole pool, so the next checkouts open new
connections; that one webhook answers through its failure path (the switchboard, or the call-log
journal for what it had to record), as it would for any database error.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

IDLE_BEFORE_PING = 10.0
_RETURNED_AT = "recours_returned_at"


def ping_after_idle(engine: Engine, idle_seconds: float = IDLE_BEFORE_PING) -> None:
    """Install the idle-only ping on ``engine`` (created with ``pool_pre_ping=False``)."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned < idle_seconds:
            return  # just opened, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # whatever the driver raises, this connection is unusable
            # The pool discards it and checks out another (or opens a new one).
            raise DisconnectionError(f"stale pooled connection: {exc}") from exc
