"""``flask report``: the report's figures in a terminal, or as CSV.

    flask report --from 2026-03-01 --to 2026-03-31                 every table, as text
    flask report --from 2026-03-01 --to 2026-03-31 --specialty neurology --csv --table seniors
    flask report summarise --from 2025-01-01 --to 2025-12-31       fill the summary tables ahead

Dates are local days of the department; ``--to`` is inclusive (the whole of that day is counted).
Without dates: the last four weeks, today included.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from core import clock, db
from core.cli import CommandGroup, cli_words
from reports import summaries
from reports.export import to_csv, to_text
from reports.figures import callback_default_deadline, summary_report, unanswered_report
from reports.period import PeriodError, parse_day
from reports.scope import Scope, resolve_scope
from reports.tables import ALL_TABLES, summary_tables, unanswered_table
from slots.report import TABLE as URGENT_SLOTS
from slots.report import urgent_slots_table

UNANSWERED_LIMIT = 1000


def _day(_ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return parse_day(value, "--from" if param.name == "first_day" else "--to")
    except PeriodError as exc:
        raise click.BadParameter(cli_words()._(exc.template, **exc.params)) from None


def scope_options(command: Callable) -> Callable:
    for option in reversed(
        (
            click.option("--from", "first_day", callback=_day, metavar="YYYY-MM-DD", help="First local day (default: --to - 27 days)."),
            click.option("--to", "last_day", callback=_day, metavar="YYYY-MM-DD", help="Last local day, inclusive (default: today)."),
            click.option("--specialty", metavar="CODE", help="One specialty, by its code."),
            click.option("--department", metavar="ID|NAME", help="One department, by id or exact name."),
        )
    ):
        command = option(command)
    return command


def _scope(first_day: date | None, last_day: date | None, specialty: str | None, department: str | None) -> Scope:
    try:
        return resolve_scope(db.session(), first_day, last_day, specialty=specialty, department=department, now=clock.now())
    except PeriodError as exc:
        raise click.UsageError(cli_words()._(exc.template, **exc.params)) from None


@click.group("report", cls=CommandGroup, invoke_without_command=True)
@scope_options
@click.option("--csv", "as_csv", is_flag=True, help="CSV instead of text; with --table, one plain CSV file.")
@click.option("--table", type=click.Choice([*ALL_TABLES, URGENT_SLOTS]), help="Only this table.")
@click.pass_context
@with_appcontext
def report_cli(ctx: click.Context, first_day, last_day, specialty, department, as_csv: bool, table: str | None) -> None:
    """The call report: calls, outcomes, times to reach a senior, attempts by senior and specialty,
    hours and weeks, callback requests, unanswered calls. Dates are local days; --to is inclusive."""
    if ctx.invoked_subcommand is not None:
        return
    session = db.session()
    scope = _scope(first_day, last_day, specialty, department)
    tables = {}
    if table not in ("unanswered", URGENT_SLOTS):
        report = summary_report(session, scope, clock.now(), default_deadline=callback_default_deadline(current_app.config["SETTINGS"]))
        tables.update(summary_tables(report))
    if table in (None, "unanswered"):
        tables["unanswered"] = unanswered_table(unanswered_report(session, scope, clock.now(), limit=UNANSWERED_LIMIT))
    if table in (None, URGENT_SLOTS):
        tables[URGENT_SLOTS] = urgent_slots_table(session, scope)
    chosen = [tables[table]] if table else list(tables.values())
    if as_csv:
        for n, t in enumerate(chosen):
            if len(chosen) > 1:  # several tables in one stream: each after a "# name" line
                click.echo(("\n" if n else "") + f"# {t.name}")
            click.echo(to_csv(t), nl=False)
        return
    period, words = scope.period, cli_words()
    from reports.views import SCOPE_LABELS

    label = words._(SCOPE_LABELS[scope.label]) if scope.label in SCOPE_LABELS else scope.label
    first, last = (words.day(d, "d MMMM y") for d in (period.first_day, period.last_day))
    click.echo(
        words._("Call report: {scope}, {first} to {last} inclusive ({zone})", scope=label, first=first, last=last, zone=period.zone.key)
    )
    for t in chosen:
        click.echo("\n" + to_text(t, words))


@report_cli.command("summarise")
@scope_options
@click.option("--rebuild", is_flag=True, help="Forget the summaries of these days first, then summarise them again.")
def summarise_command(first_day, last_day, specialty, department, rebuild: bool) -> None:
    """Summarise the sealed days of the period so that reports read fast (reports also do it
    themselves); run it after an upgrade, every night, or with --rebuild after correcting old calls."""
    session = db.session()
    period = _scope(first_day, last_day, specialty, department).period
    if rebuild:
        summaries.forget(session, period.zone, period.first_day, period.last_day)
    started = time.perf_counter()
    count = summaries.summarise(session, period.zone, period.first_day, period.last_day, clock.now())
    words = cli_words()
    click.echo(
        words.ngettext(
            "summarised {count} day of {first} to {last} ({zone}) in {seconds}",
            "summarised {count} days of {first} to {last} ({zone}) in {seconds}",
            count,
            first=period.first_day,
            last=period.last_day,
            zone=period.zone.key,
            seconds=words.seconds(time.perf_counter() - started),
        )
    )
