"""Several scheduler instances on one database (started by mistake, or a standby): one acts, each job
runs once, and the standby takes over when the first stops. Threads with an application — and so a
database engine — each; on PostgreSQL the lock is a real advisory lock held by separate sessions."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from calllog.models import CallbackRequest
from core import db
from scheduler import runner
from scheduler.jobs import JOBS, JobSpec, run_job
from scheduler.lock import LeaseLock, lock_for
from scheduler.models import SchedulerLock, SchedulerRun
from tests.callbacks.conftest import live_settings
from tests.hospital import BACKUP, PRIMARY

# Seconds any wait in these tests may last: generous, since starting two `flask` processes on a loaded
# 2-core machine (seven suites at once) has been seen to take over 20 s; a working lock answers in < 1 s.
DEADLINE = 60.0


def wait_for(condition, what: str) -> None:
    limit = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > limit:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Instance:
    """``flask scheduler run`` in a thread, with its own application and engine."""

    def __init__(self, app, specs) -> None:
        self.app = app
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=runner.run, args=(app, self.stop), kwargs={"specs": specs, "heartbeat": 0.2, "standby_poll": 0.1}, daemon=True
        )

    @property
    def holder(self) -> str | None:
        return self.app.extensions.get("recours.scheduler.holder")

    def start(self) -> Instance:
        self.thread.start()
        wait_for(lambda: self.holder is not None, "the instance to start")
        return self

    def halt(self) -> None:
        self.stop.set()
        self.thread.join(timeout=DEADLINE)
        assert not self.thread.is_alive(), "the scheduler did not stop"


def lock_holder(app) -> str | None:
    with app.app_context():
        row = db.session().get(SchedulerLock, "scheduler")
        return None if row is None else row.holder


def runs(app) -> list[SchedulerRun]:
    with app.app_context():
        return list(db.session().scalars(select(SchedulerRun).order_by(SchedulerRun.id)))


@pytest.fixture
def second_app(make_app, smtp_server):
    return make_app(**live_settings(smtp_server.port))


def test_two_instances_run_every_job_exactly_once_and_the_standby_takes_over(app, second_app, hospital, gp_call, twilio, session):
    gp_call()  # something for the callbacks job to send
    session.rollback()
    # Every job is due once, in a second, then only an hour later.
    first_run = datetime.now(UTC) + timedelta(seconds=0.5)
    specs = [JobSpec(job_id, IntervalTrigger(hours=1, start_date=first_run), misfire_grace_time=None) for job_id in JOBS]

    first = Instance(app, specs).start()
    wait_for(lambda: lock_holder(app) == first.holder, "the first instance to take the lock")
    second = Instance(second_app, specs).start()
    wait_for(lambda: len(runs(app)) >= len(JOBS), "every job to run")
    time.sleep(0.3)  # time for any duplicate to show
    assert lock_holder(app) == first.holder

    first.halt()
    wait_for(lambda: lock_holder(app) == second.holder, "the standby to take over")
    time.sleep(0.4)  # the new holder loads the stored jobs: none is due before an hour
    second.halt()

    done = runs(app)
    assert Counter(r.job_id for r in done) == Counter(list(JOBS)), [(r.job_id, r.holder) for r in done]
    assert {r.holder for r in done} == {first.holder} and {r.outcome for r in done} == {"ok"}
    assert len(twilio.sms_to(PRIMARY)) == len(twilio.sms_to(BACKUP)) == 1
    assert lock_holder(app) is None  # released on stop


def test_the_callbacks_job_run_twice_at_once_still_texts_each_senior_once(app, second_app, hospital, gp_call, twilio, rows, session):
    """What the lock protects against, without the lock: the jobs alone are idempotent."""
    rid = gp_call()
    session.rollback()
    errors: list[BaseException] = []

    def tick(application) -> None:
        try:
            with application.app_context():
                assert run_job("callbacks") == "ok"
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=tick, args=(a,)) for a in (app, second_app)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DEADLINE)
    assert errors == []
    assert len(twilio.sms_to(PRIMARY)) == len(twilio.sms_to(BACKUP)) == 1
    [request] = rows(select(CallbackRequest).where(CallbackRequest.id == rid))
    assert request.code is not None and request.code in twilio.sms_to(PRIMARY)[0]


def test_a_lease_that_is_not_renewed_passes_to_another_instance(app, frozen_clock):
    engine = app.extensions["recours.db"].engine
    first, second = LeaseLock(engine, "first", timedelta(seconds=30)), LeaseLock(engine, "second", timedelta(seconds=30))
    assert first.acquire() and not second.acquire()
    frozen_clock[0] += timedelta(seconds=20)
    assert first.renew() and not second.acquire()
    frozen_clock[0] += timedelta(seconds=31)  # the first one froze: its lease ran out
    assert second.acquire()
    assert not first.renew()  # it learns at its next heartbeat and stops acting
    second.release()
    assert first.acquire()
    first.release()


def test_on_postgresql_the_lock_is_an_advisory_lock_of_a_live_session(app, make_app, frozen_clock):
    engine = app.extensions["recours.db"].engine
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    other_engine = make_app().extensions["recours.db"].engine
    first, second = lock_for(engine, "first", timedelta(seconds=30)), lock_for(other_engine, "second", timedelta(seconds=30))
    assert first.acquire() and not second.acquire()
    frozen_clock[0] += timedelta(hours=1)  # no lease: time does not free it, only the session ending does
    assert first.renew() and not second.acquire()
    first._connection.invalidate()  # the connection dies (a crash, a network cut)
    assert not first.renew()
    # The server frees the lock when its backend sees the socket closed: at once on an idle machine,
    # a moment later on a loaded one.
    wait_for(second.acquire, "the lock of the dead session to be freed")
    second.release()


def test_two_flask_scheduler_run_processes_on_postgresql(app, database_url):
    """The real command, twice, as separate processes: one acts, the other stands by, SIGTERM stops the
    first cleanly (exit 0, lock released) and the second takes over."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the process test runs on PostgreSQL; SQLite's lease is covered above")
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import settings_for

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, **settings_for(database_url), "NOTIFY_BACKEND": "log", "SCHEDULER_TICK_SECONDS": "600", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "flask", "--app", "app", "scheduler", "run", "--heartbeat", "0.2"]
    processes = [
        subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)
    ]
    output: dict[int, list[str]] = {p.pid: [] for p in processes}
    for process in processes:  # read as it comes, so that a full pipe never blocks a process
        threading.Thread(target=lambda p=process: output[p.pid].extend(iter(p.stdout.readline, "")), daemon=True).start()
    try:

        def said(process, words: str) -> bool:
            return words in "".join(output[process.pid])

        wait_for(lambda: any(said(p, "scheduler lock taken by") for p in processes), "one process to take the lock")
        acting = next(p for p in processes if said(p, "scheduler lock taken by"))
        standby = next(p for p in processes if p is not acting)
        wait_for(lambda: said(standby, "stands by"), "the other process to stand by")
        assert lock_holder(app).split(":")[1] == str(acting.pid)
        acting.send_signal(signal.SIGTERM)
        assert acting.wait(timeout=DEADLINE) == 0, "".join(output[acting.pid])
        wait_for(lambda: (lock_holder(app) or "::").split(":")[1] == str(standby.pid), "the standby process to take over")
        standby.send_signal(signal.SIGTERM)
        assert standby.wait(timeout=DEADLINE) == 0, "".join(output[standby.pid])
        assert lock_holder(app) is None
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
