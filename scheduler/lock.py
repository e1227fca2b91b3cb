"""Letting exactly one scheduler instance act, however many were started.

- **PostgreSQL**: a session-level ``pg_try_advisory_lock`` on a connection of its own. The lock lives
  exactly as long as that connection: a process that dies, or loses its connection, frees it at once
  and a standby takes over. ``renew`` checks the connection is still alive.
- **SQLite** (one machine, development or a small site): a lease row in ``scheduler_lock``, taken with a
  compare-and-set UPDATE and renewed by heartbeats; a holder that stops renewing loses it after ``ttl``.
  A holder frozen longer than ``ttl`` (a suspended VM) may overlap with its successor until its next
  heartbeat fails: the jobs' idempotence (outbox keys, claimed sends) is what makes that harmless.

Both write who holds the lock in ``scheduler_lock`` for ``flask scheduler status``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Connection, Engine, create_engine, or_, text, update
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from core import clock
from core.db import insert_ignoring_duplicates
from scheduler.models import SchedulerLock

log = logging.getLogger(__name__)

LOCK_NAME = "scheduler"
# Any fixed 64-bit key shared by every instance: the bytes of "RECOURS".
ADVISORY_KEY = int.from_bytes(b"RECOURS", "big")


class InstanceLock(Protocol):
    holder: str

    def acquire(self) -> bool: ...

    def renew(self) -> bool:
        """True while the lock is still ours; False means stop acting now."""

    def release(self) -> None: ...


def _note(engine: Engine, holder: str | None, *, taking: bool, ttl: timedelta) -> None:
    """Record the holder (informational on PostgreSQL)."""
    now = clock.now()
    with Session(engine) as session, session.begin():
        insert_ignoring_duplicates(session, SchedulerLock, {"name": LOCK_NAME}, ["name"])
        values = {"holder": holder, "heartbeat_at": now, "expires_at": now + ttl if holder else now}
        if taking:
            values["acquired_at"] = now
        session.execute(update(SchedulerLock).where(SchedulerLock.name == LOCK_NAME).values(**values))


class PostgresAdvisoryLock:
    def __init__(self, engine: Engine, holder: str, ttl: timedelta) -> None:
        self.holder = holder
        self.ttl = ttl
        self.engine = engine
        # A connection outside any pool: closing it really ends the session, and with it the lock.
        self._lock_engine = create_engine(engine.url, poolclass=NullPool)
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        connection = self._lock_engine.connect()
        try:
            got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar())
            connection.commit()
        except Exception:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connection = connection
        _note(self.engine, self.holder, taking=True, ttl=self.ttl)
        return True

    def renew(self) -> bool:
        if self._connection is None:
            return False
        try:
            held = self._connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted"
                    " AND classid::bigint = :high AND objid::bigint = :low"
                ),
                {"high": ADVISORY_KEY >> 32, "low": ADVISORY_KEY & 0xFFFFFFFF},
            ).scalar()
            self._connection.commit()
        except Exception:
            log.exception("the scheduler lock's connection failed")
            return False
        if not held:
            return False
        try:
            _note(self.engine, self.holder, taking=False, ttl=self.ttl)
        except Exception:
            log.warning("could not record the scheduler heartbeat", exc_info=True)
        return True

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            connection.commit()
            _note(self.engine, None, taking=False, ttl=self.ttl)
        except Exception:
            log.warning("could not release the scheduler lock cleanly", exc_info=True)
        finally:
            connection.close()
            self._lock_engine.dispose()


class LeaseLock:
    def __init__(self, engine: Engine, holder: str, ttl: timedelta) -> None:
        self.engine = engine
        self.holder = holder
        self.ttl = ttl

    def acquire(self) -> bool:
        now = clock.now()
        with Session(self.engine) as session, session.begin():
            insert_ignoring_duplicates(session, SchedulerLock, {"name": LOCK_NAME}, ["name"])
            taken = session.execute(
                update(SchedulerLock)
                .where(
                    SchedulerLock.name == LOCK_NAME,
                    or_(SchedulerLock.holder.is_(None), SchedulerLock.holder == self.holder, SchedulerLock.expires_at < now),
                )
                .values(holder=self.holder, acquired_at=now, heartbeat_at=now, expires_at=now + self.ttl)
            ).rowcount
        return taken == 1

    def renew(self) -> bool:
        now = clock.now()
        try:
            with Session(self.engine) as session, session.begin():
                renewed = session.execute(
                    update(SchedulerLock)
                    .where(SchedulerLock.name == LOCK_NAME, SchedulerLock.holder == self.holder, SchedulerLock.expires_at >= now)
                    .values(heartbeat_at=now, expires_at=now + self.ttl)
                ).rowcount
        except Exception:
            log.exception("could not renew the scheduler lease")
            return False
        return renewed == 1

    def release(self) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(SchedulerLock)
                .where(SchedulerLock.name == LOCK_NAME, SchedulerLock.holder == self.holder)
                .values(holder=None, expires_at=clock.now())
            )


def lock_for(engine: Engine, holder: str, ttl: timedelta) -> InstanceLock:
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(engine, holder, ttl)
    return LeaseLock(engine, holder, ttl)
