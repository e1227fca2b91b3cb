"""psycopg connections that never wait past the current deadline (:mod:`core.deadline`).

Every network wait of a psycopg connection goes through ``Connection.wait`` (queries, commits, the
pool's ping) or the connection generator driven by ``waiting.wait_conn`` (connecting): both are bounded
here by the time left. A wait cut short closes the connection — its protocol state is unknown, a reply
may still arrive — and raises :class:`DeadlineExceeded`, an ``OperationalError`` that SQLAlchemy reads as
a disconnection (the pooled connection is discarded, never handed out half-used). Imported only when the
database is PostgreSQL.
"""

from __future__ import annotations

import psycopg
from psycopg import errors

from core import deadline


class DeadlineExceeded(errors.OperationalError, deadline.DeadlineExceeded):
    """The database did not answer within the current deadline; the connection was closed."""


def _bounded(gen):
    """Drive psycopg's connection generator, giving up once the deadline has passed. The generator
    is resumed at least every 0.1 s (psycopg's wait interval), so the check is that fine."""
    try:
        value = next(gen)
        while True:
            sent = yield value
            if deadline.spent():
                gen.close()
                raise DeadlineExceeded("no connection to the database within the webhook's budget")
            value = gen.send(sent)
    except StopIteration as stop:
        return stop.value


class DeadlineConnection(psycopg.Connection):
    @classmethod
    def _connect_gen(cls, conninfo: str = ""):
        left = deadline.remaining()
        if left is not None and left <= 0:
            raise DeadlineExceeded("the webhook's budget was spent before connecting to the database")
        gen = super()._connect_gen(conninfo)
        return gen if left is None else _bounded(gen)

    def wait(self, gen, interval: float = 0.1, timeout: float | None = None):
        left = deadline.remaining()
        if left is None:
            return super().wait(gen, interval, timeout)
        if left <= 0:
            gen.close()
            self.close()
            raise DeadlineExceeded("the webhook's budget was spent before the database was asked")
        try:
            return super().wait(gen, interval, left if timeout is None else min(timeout, left))
        except errors.OperationalError as error:
            if not deadline.spent() or isinstance(error, DeadlineExceeded):
                raise
            # The wait timed out with a request in flight: the connection cannot be used again.
            self.close()
            raise DeadlineExceeded("the database did not answer within the webhook's budget") from None
