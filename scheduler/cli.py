"""``flask scheduler run|run-job|status``: the scheduler process and a look at it."""

from __future__ import annotations

import signal
import threading
from zoneinfo import ZoneInfo

import click
from flask import current_app
from sqlalchemy import select

from core import db
from core.cli import CommandGroup, cli_words
from scheduler import runner
from scheduler.jobs import JOBS, job_specs, run_job
from scheduler.models import SchedulerLock, SchedulerRun

scheduler_cli = CommandGroup("scheduler", help="Periodic jobs: callbacks, reminders, gap alerts, digest, retention.")


@scheduler_cli.command("run")
@click.option("--heartbeat", default=runner.HEARTBEAT_SECONDS, show_default=True, help="Seconds between lock renewals.")
def run_command(heartbeat: float) -> None:
    """Run the jobs until stopped (SIGTERM, Ctrl-C). Start exactly one per deployment; a second instance
    only stands by, and takes over if the first stops."""
    settings, words = current_app.config["SETTINGS"], cli_words()
    if settings.notify.backend == "log":
        click.echo(
            words._("NOTIFY_BACKEND=log: SMS, calls and e-mail are only written to the log (set NOTIFY_BACKEND=live to send)."), err=True
        )
    stop = threading.Event()

    def request_stop(signum, _frame) -> None:
        click.echo(words._("signal {signal}: stopping after the running jobs", signal=signum), err=True)
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
    session, words = db.session(), cli_words()
    tz = ZoneInfo(zone)
    lock = session.get(SchedulerLock, "scheduler")
    if lock is None or lock.holder is None:
        click.echo(words._("no scheduler instance is running"))
    else:
        since, heartbeat = lock.acquired_at.astimezone(tz), lock.heartbeat_at.astimezone(tz)
        click.echo(
            words._(
                "running: {holder}, since {since}, heartbeat {heartbeat}",
                holder=lock.holder,
                since=f"{since:%Y-%m-%d %H:%M:%S}",
                heartbeat=f"{heartbeat:%H:%M:%S}",
            )
        )
    for spec in job_specs(current_app.config["SETTINGS"]):
        last = session.scalars(select(SchedulerRun).where(SchedulerRun.job_id == spec.id).order_by(SchedulerRun.id.desc()).limit(1)).first()
        if last is None:
            ran = words._("never run")
        else:
            # The outcome is a code scripts read (ok, error); "running" while it has none yet.
            ran = words._(
                "last run {at} {outcome}",
                at=f"{last.started_at.astimezone(tz):%Y-%m-%d %H:%M:%S}",
                outcome=last.outcome or words._("running"),
            )
        grace = words.seconds(spec.misfire_grace_time, 0) if spec.misfire_grace_time else words._("unlimited")
        click.echo(
            words._("  {job} {trigger}  (misfire grace: {grace})  {ran}", job=f"{spec.id:<16}", trigger=spec.trigger, grace=grace, ran=ran)
        )
