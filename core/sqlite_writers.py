"""SQLite's writers of one process take turns in a queue of this process, not in SQLite's busy loop.

SQLite has one write lock per database file. A connection that finds it taken sleeps and tries again
(1, 2, 5 … then 100 ms between tries, until its busy timeout), so the one that has waited longest tries
least often: under load a webhook can lose to newer ones until its timeout ("database is locked", seen
in ``make bench`` at 16 connections on a 2-core machine: waits of 1.5 s while each write takes
milliseconds). Here a thread of this process first waits for a lock of the process (woken when it is
released, not by polling), then takes SQLite's lock with ``BEGIN IMMEDIATE``: SQLite's loop is left to
the few processes (gunicorn's workers) that share the file. Both waits together stay within one busy
timeout and the request's deadline, as SQLite's alone did: a thread that waited its turn gives SQLite
only what is left of it.

The process lock is held from ``BEGIN IMMEDIATE`` to the end of that transaction, whichever way it ends
(commit, rollback, the connection closed). Readers never take it: in WAL mode they read their snapshot
while one writes. An in-memory database is one connection's own and needs none.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy.exc import OperationalError

from core import deadline

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _forget_locks() -> None:
    # A child forked while a thread of the parent held a lock would inherit it held, with no thread
    # left to release it: the child starts with locks of its own.
    global _locks_guard
    _locks.clear()
    _locks_guard = threading.Lock()


os.register_at_fork(after_in_child=_forget_locks)


def write_lock_for(database: str | None) -> threading.Lock | None:
    """The lock of this process for the database file ``database`` (None for an in-memory database)."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    key = str(Path(database).resolve())
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


class TakingTurns(sqlite3.Connection):
    """A connection that gives the process's write lock back when its write transaction ends."""

    write_lock: threading.Lock | None = None
    _holding: threading.Lock | None = None

    def hold(self, lock: threading.Lock) -> None:
        self._holding = lock

    def let_go(self) -> None:
        lock, self._holding = self._holding, None
        if lock is not None:
            lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:  # a COMMIT that failed leaves the transaction to its rollback
                self.let_go()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.let_go()  # even when the rollback failed: the connection is then of no use to anyone

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.let_go()


def begin_immediate(connection, busy_timeout: float) -> None:
    """``BEGIN IMMEDIATE`` on SQLAlchemy ``connection`` once this thread's turn has come."""
    dbapi = connection.connection.dbapi_connection
    lock = getattr(dbapi, "write_lock", None)
    if lock is None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    rest_ms = None  # the common case: nobody else of this process is writing, SQLite gets its whole wait
    if not lock.acquire(blocking=False):
        left = deadline.remaining()
        wait = busy_timeout if left is None else max(0.0, min(busy_timeout, left))
        began = time.monotonic()
        if not lock.acquire(timeout=wait):
            refused = sqlite3.OperationalError("database is locked (by another thread of this process)")
            raise OperationalError("BEGIN IMMEDIATE", None, refused)
        rest_ms = max(1, int((wait - (time.monotonic() - began)) * 1000))
    dbapi.hold(lock)
    try:
        if rest_ms is None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            dbapi.execute(f"PRAGMA busy_timeout = {rest_ms}")  # (integers: nothing to quote)
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                dbapi.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    except BaseException:
        if dbapi.in_transaction:
            dbapi.rollback()  # (gives the lock back)
        dbapi.let_go()
        raise
