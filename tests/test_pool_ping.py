"""Pooled connections are pinged only after sitting idle (core.pool): none of the round trips of a busy
hotline is spent on it, and a connection the server dropped while idle is replaced, not used."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from core import pool


@pytest.fixture
def postgres_engine(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the ping is PostgreSQL's (SQLite has no server to lose)")
    engine = create_engine(database_url, pool_size=2, pool_pre_ping=False)
    pool.ping_after_idle(engine, idle_seconds=0.5)
    yield engine
    engine.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def test_a_connection_used_a_moment_ago_is_not_pinged(postgres_engine, monkeypatch):
    pings = []
    real_ping = postgres_engine.dialect.do_ping
    monkeypatch.setattr(postgres_engine.dialect, "do_ping", lambda connection: pings.append(1) or real_ping(connection))
    first = _backend_pid(postgres_engine)
    assert [_backend_pid(postgres_engine) for _ in range(5)] == [first] * 5
    assert pings == []
    time.sleep(0.6)
    assert _backend_pid(postgres_engine) == first
    assert pings == [1]


def test_a_connection_the_server_dropped_while_idle_is_replaced(postgres_engine, database_url):
    stale = _backend_pid(postgres_engine)
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": stale})
    finally:
        admin.dispose()
    time.sleep(0.6)
    fresh = _backend_pid(postgres_engine)  # no error: the ping found it dead and the pool opened another
    assert fresh != stale
