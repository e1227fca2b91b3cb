"""SQLite's writers of one process take turns (core.sqlite_writers): the lock of the process is held for
exactly the write transaction, whichever way it ends, and never by a reader."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core import db, deadline, sqlite_writers
from core.config import WebhookBudget


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'turns.sqlite3'}", WebhookBudget(seconds=1.0))
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE fact (n INTEGER)")
    yield engine
    engine.dispose()


def lock_of(engine: Engine) -> threading.Lock:
    lock = sqlite_writers.write_lock_for(engine.url.database)
    assert lock is not None
    return lock


def test_the_lock_is_held_for_the_write_transaction_and_given_back_however_it_ends(engine: Engine) -> None:
    lock = lock_of(engine)
    with Session(engine) as session:
        session.execute(text("INSERT INTO fact VALUES (1)"))
        assert lock.locked()
        session.commit()
        assert not lock.locked()
        session.execute(text("INSERT INTO fact VALUES (2)"))
        assert lock.locked()
        session.rollback()
        assert not lock.locked()
    with pytest.raises(ZeroDivisionError), engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO fact VALUES (3)")
        raise ZeroDivisionError
    assert not lock.locked()
    with engine.connect() as connection:
        connection.exec_driver_sql("INSERT INTO fact VALUES (4)")
        connection.invalidate()  # the connection is closed, its transaction with it
    assert not lock.locked()
    with engine.connect() as connection:
        connection.exec_driver_sql("INSERT INTO fact VALUES (5)")
    # (closed without commit: the pool's reset rolled back)
    assert not lock.locked()
    with engine.connect() as connection:
        assert sorted(connection.exec_driver_sql("SELECT n FROM fact").scalars()) == [1]


def test_a_reader_never_takes_it_and_reads_while_a_thread_writes(engine: Engine) -> None:
    lock = lock_of(engine)
    readers = db.read_sessions(engine)
    with Session(engine) as writer:
        writer.execute(text("INSERT INTO fact VALUES (1)"))
        with readers() as reader:
            assert reader.execute(text("SELECT count(*) FROM fact")).scalar() == 0  # its snapshot, at once
        assert lock.locked()
        writer.commit()
    with readers() as reader:
        assert reader.execute(text("SELECT count(*) FROM fact")).scalar() == 1
        assert not lock.locked()


def test_a_second_writer_of_the_process_waits_its_turn_within_its_deadline_then_writes(engine: Engine) -> None:
    holding, done = threading.Event(), threading.Event()
    refused: list[BaseException] = []

    def hold_the_turn() -> None:
        with Session(engine) as session:
            session.execute(text("INSERT INTO fact VALUES (1)"))
            holding.set()
            done.wait(10)
            session.commit()

    holder = threading.Thread(target=hold_the_turn)
    holder.start()
    assert holding.wait(10)
    try:
        with deadline.within(0.2), Session(engine) as session:  # the request's deadline bounds the wait
            session.execute(text("INSERT INTO fact VALUES (2)"))
    except OperationalError as exc:
        refused.append(exc)
    finally:
        done.set()
        holder.join(10)
    assert len(refused) == 1 and "by another thread of this process" in str(refused[0])
    with Session(engine) as session:  # the turn is free again
        session.execute(text("INSERT INTO fact VALUES (3)"))
        session.commit()
    with engine.connect() as connection:
        assert sorted(connection.exec_driver_sql("SELECT n FROM fact").scalars()) == [1, 3]


def test_writers_of_many_threads_all_write(engine: Engine) -> None:
    def write(n: int) -> None:
        for i in range(40):
            with Session(engine) as session:
                session.execute(text("INSERT INTO fact VALUES (:n)"), {"n": n * 100 + i})
                session.commit()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(DISTINCT n) FROM fact").scalar() == 320
    assert not lock_of(engine).locked()


def test_when_another_process_holds_sqlite_s_lock_the_turn_is_given_back_after_the_busy_timeout(engine: Engine) -> None:
    other = sqlite3.connect(engine.url.database, isolation_level=None)  # not ours: like another worker
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="database is locked"), Session(engine) as session:
            session.execute(text("INSERT INTO fact VALUES (1)"))
        assert not lock_of(engine).locked()
    finally:
        other.execute("ROLLBACK")
        other.close()
    with Session(engine) as session:
        session.execute(text("INSERT INTO fact VALUES (2)"))
        session.commit()


def _turn_free_in_child(database: str, answers) -> None:
    lock = sqlite_writers.write_lock_for(database)
    answers.put(lock is not None and lock.acquire(timeout=2))


def test_a_forked_worker_does_not_inherit_a_turn_held_in_its_parent(engine: Engine) -> None:
    lock = lock_of(engine)
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    with Session(engine) as session:
        session.execute(text("INSERT INTO fact VALUES (1)"))
        assert lock.locked()
        child = context.Process(target=_turn_free_in_child, args=(engine.url.database, answers))
        child.start()
        child.join(20)
        session.rollback()
    assert answers.get(timeout=5) is True


def test_an_in_memory_database_has_no_lock() -> None:
    assert sqlite_writers.write_lock_for(":memory:") is None
    assert sqlite_writers.write_lock_for(None) is None


def test_a_writer_that_waited_its_turn_gives_sqlite_only_the_rest_of_its_busy_timeout(tmp_path: Path) -> None:
    """Both waits together stay within one busy timeout (5 s here), as SQLite's alone did."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'turns.sqlite3'}", WebhookBudget(seconds=10.0))
    said: list[str] = []
    event.listen(engine, "connect", lambda dbapi, _record: dbapi.set_trace_callback(said.append))
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE fact (n INTEGER)")
    holding, done = threading.Event(), threading.Event()

    def hold_the_turn() -> None:
        with Session(engine) as session:
            session.execute(text("INSERT INTO fact VALUES (1)"))
            holding.set()
            done.wait(10)
            session.commit()

    holder = threading.Thread(target=hold_the_turn)
    holder.start()
    assert holding.wait(10)
    threading.Timer(0.1, done.set).start()  # the turn comes free while the second writer waits
    with Session(engine) as session:
        session.execute(text("INSERT INTO fact VALUES (2)"))
        session.commit()
    holder.join(10)
    timeouts = [int(line.rsplit("=", 1)[1]) for line in said if line.startswith("PRAGMA busy_timeout")]
    assert len(timeouts) == 2 and 0 < timeouts[0] < 5000 and timeouts[1] == 5000, said
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    engine.dispose()
