"""``flask scheduler run|run-job|status``: the scheduler process and a look at it."""

from __future__ import annotations

import signal
import threading
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from core import db
from scheduler import runner
from scheduler.jobs import JOBS, job_specs, run_job
from scheduler.models import SchedulerLock, SchedulerRun

scheduler_cli = AppGroup("scheduler", help="Periodic jobs: callbacks, reminders, gap alerts, digest, retention.")


@scheduler_cli.command("run")
@click.option("--heartbeat", default=runner.HEARTBEAT_SECONDS, show_default=True, help="Seconds between lock renewals.")
def run_command(heartbeat: float) -> None:
    """Run the jobs until stopped (SIGTERM, Ctrl-C). Start exactly one per deployment; a second instance
    only stands by, and takes over if the first stops."""
    settings = current_app.config["SETTINGS"]
    if settings.notify.backend == "log":
        click.echo("NOTIFY_BACKEND=log: SMS, calls and e-mail are only written to the log (set NOTIFY_BACKEND=live to send).", err=True)
    stop = threading.Event()

    def request_stop(signum, _frame) -> None:
        click.echo(f"signal {signum}: stopping after the running jobs", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    runner.run(current_app._get_current_object(), stop, heartbeat=heartbeat)


@scheduler_cli.command("run-job")
@click.argument("job_id", type=click.Choice(sorted(JOBS)))
def run_job_command(job_id: str) -> None:
    """Run one job now, in this process (it is idempotent: running it beside the scheduler is safe)."""
    outcome = run_job(job_id)
    last = db.session().scalars(select(SchedulerRun).where(SchedulerRun.job_id == job_id).order_by(SchedulerRun.id.desc()).limit(1)).first()
    click.echo(f"{job_id}: {outcome}: {last.detail if last else ''}")
    if outcome != "ok":
        raise SystemExit(1)


@scheduler_cli.command("status")
@click.option("--zone", default="Europe/Paris", show_default=True)
def status_command(zone: str) -> None:
    """Who holds the scheduler lock, each job's trigger and last run."""
    session = db.session()
    tz = ZoneInfo(zone)
    lock = session.get(SchedulerLock, "scheduler")
    if lock is None or lock.holder is None:
        click.echo("no scheduler instance is running")
    else:
        since, heartbeat = lock.acquired_at.astimezone(tz), lock.heartbeat_at.astimezone(tz)
        click.echo(f"running: {lock.holder}, since {since:%Y-%m-%d %H:%M:%S}, heartbeat {heartbeat:%H:%M:%S}")
    for spec in job_specs(current_app.config["SETTINGS"]):
        last = session.scalars(select(SchedulerRun).where(SchedulerRun.job_id == spec.id).order_by(SchedulerRun.id.desc()).limit(1)).first()
        ran = f"last run {last.started_at.astimezone(tz):%Y-%m-%d %H:%M:%S} {last.outcome or 'running'}" if last else "never run"
        grace = f"{spec.misfire_grace_time} s" if spec.misfire_grace_time else "unlimited"
        click.echo(f"  {spec.id:<16} {spec.trigger}  (misfire grace: {grace})  {ran}")
