"""The periodic jobs, run by ``flask scheduler run`` as a process of its own — never inside a web worker.

APScheduler 3 keeps the jobs in the database (``scheduler_job``, SQLAlchemyJobStore). Only one
instance acts at a time (:mod:`scheduler.lock`); a second one started by mistake waits as a standby
and takes over if the first stops. Every job is idempotent besides: what it sends goes through the
outbox under a unique key, so a job re-run after a restart sends nothing twice.
"""
