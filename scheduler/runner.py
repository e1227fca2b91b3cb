"""Running the scheduler: one process, ``flask scheduler run``; a second one waits as a standby.

The loop: take the instance lock (:mod:`scheduler.lock`) or wait; start APScheduler on the database job
store; renew the lock every heartbeat; on losing it (or on SIGTERM) stop APScheduler — letting a running
job finish — and release the lock.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Sequence
from datetime import timedelta

from apscheduler.executors.base import run_job
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from flask import Flask

from core import db
from scheduler.jobs import JobSpec, job_specs
from scheduler.lock import InstanceLock, lock_for
from scheduler.models import JOB_TABLE

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0
# Jobs are few and short; more threads would only let two different jobs contend for SQLite's lock.
WORKERS = 2


class AppContextExecutor(ThreadPoolExecutor):
    """Runs each job inside an application context, like a CLI command: ``db.session()`` and the settings
    work as everywhere else, and the session is closed when the job ends."""

    def __init__(self, app: Flask, max_workers: int = WORKERS) -> None:
        super().__init__(max_workers)
        self.app = app

    def _do_submit_job(self, job, run_times) -> None:
        app = self.app

        def run_in_app_context(*args):
            with app.app_context():
                return run_job(*args)

        def done(future) -> None:
            exc = future.exception()
            if exc is not None:
                self._run_job_error(job.id, exc, exc.__traceback__)
            else:
                self._run_job_success(job.id, future.result())

        future = self._pool.submit(run_in_app_context, job, job._jobstore_alias, run_times, self._logger.name)
        future.add_done_callback(done)


class RecoursScheduler(BackgroundScheduler):
    def _process_jobs(self):
        # APScheduler 3 runs one more round after shutdown() has stopped the executors: a job due at that
        # moment fails to start yet has its next run moved on, so a daily job would skip a day. Once
        # stopping, nothing is processed; the stored next run time stays for the next instance.
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def build_scheduler(app: Flask) -> RecoursScheduler:
    settings = app.config["SETTINGS"]
    # The job store gets an engine of its own: APScheduler disposes of it at shutdown.
    store = SQLAlchemyJobStore(engine=db.make_engine(settings.database_url), tablename=JOB_TABLE)
    return RecoursScheduler(
        jobstores={"default": store},
        executors={"default": AppContextExecutor(app)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=settings.scheduler.timezone,
    )


def _signature(spec: JobSpec) -> tuple:
    return (repr(spec.trigger), spec.func, tuple(spec.args), spec.misfire_grace_time, spec.coalesce)


def sync_jobs(scheduler: BackgroundScheduler, specs: Sequence[JobSpec]) -> None:
    """Make the stored jobs match ``specs``. An unchanged job keeps its stored next run time — even one in
    the past, so a run missed while no instance was up is handled by the misfire policy instead of
    being silently skipped, as re-adding the job would do."""
    wanted = {spec.id: spec for spec in specs}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            log.info("removing obsolete job %s", job.id)
            job.remove()
    for spec in specs:
        job = scheduler.get_job(spec.id)
        options = {
            "misfire_grace_time": spec.misfire_grace_time,
            "coalesce": spec.coalesce,
            "max_instances": 1,
            "args": spec.args,
            "name": spec.id,
        }
        if job is None:
            scheduler.add_job(spec.func, trigger=spec.trigger, id=spec.id, replace_existing=True, **options)
            continue
        stored = (repr(job.trigger), job.func_ref, tuple(job.args), job.misfire_grace_time, job.coalesce)
        if stored != _signature(spec):
            log.info("job %s changed: rescheduling", spec.id)
            job.modify(func=spec.func, **options)
            job.reschedule(spec.trigger)


def _act(app: Flask, lock: InstanceLock, stop: threading.Event, specs: Sequence[JobSpec], heartbeat: float) -> None:
    """Hold the lock and run the jobs until ``stop`` or until the lock is lost."""
    scheduler = build_scheduler(app)
    try:
        scheduler.start(paused=True)
        sync_jobs(scheduler, specs)
        scheduler.resume()
        log.info("scheduler running as %s: %s", lock.holder, ", ".join(spec.id for spec in specs))
        while not stop.wait(heartbeat):
            if not lock.renew():
                log.error("scheduler lock lost by %s: stopping the jobs here", lock.holder)
                return
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)


def run(
    app: Flask,
    stop: threading.Event,
    *,
    specs: Sequence[JobSpec] | None = None,
    heartbeat: float = HEARTBEAT_SECONDS,
    standby_poll: float | None = None,
) -> None:
    """Run until ``stop`` is set: act while holding the lock, stand by otherwise. Never raises for a
    database outage: it is logged and tried again."""
    holder = new_holder()
    app.extensions["recours.scheduler.holder"] = holder
    specs = list(specs if specs is not None else job_specs(app.config["SETTINGS"]))
    # A holder that stops renewing loses the (SQLite) lease after three missed heartbeats.
    lock = lock_for(app.extensions["recours.db"].engine, holder, timedelta(seconds=3 * heartbeat))
    poll = standby_poll if standby_poll is not None else heartbeat
    standing_by = False
    while not stop.is_set():
        try:
            acquired = lock.acquire()
        except Exception:
            log.exception("could not reach the database to take the scheduler lock")
            stop.wait(poll)
            continue
        if not acquired:
            if not standing_by:
                log.warning("another scheduler instance holds the lock; %s stands by", holder)
                standing_by = True
            stop.wait(poll)
            continue
        standing_by = False
        log.info("scheduler lock taken by %s", holder)
        try:
            _act(app, lock, stop, specs, heartbeat)
        except Exception:
            log.exception("scheduler stopped by an error")
        finally:
            try:
                lock.release()
            except Exception:
                log.exception("could not release the scheduler lock")
        if not stop.is_set():
            stop.wait(poll)
