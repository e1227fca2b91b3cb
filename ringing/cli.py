"""``flask ringing show|set``: how a specialty's seniors are rung, and what each setting would give."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from core import clock, db
from core.actor import Actor
from ringing import automatic
from ringing.models import RINGING_MODES
from ringing.operations import RingingError, set_ringing
from ringing.queries import ringing_of
from rota.queries import find_specialty

ringing_cli = AppGroup("ringing", help="Sequential, staged or automatic ringing per specialty.")


def _specialty(code: str):
    found = find_specialty(db.session(), code)
    if found is None:
        raise click.ClickException(f"no specialty {code!r}")
    return found


@ringing_cli.command("show")
@click.argument("specialty")
@click.option("--weeks", default=4, show_default=True, type=click.IntRange(1, 52), help="Weeks of the log to replay.")
def show_command(specialty: str, weeks: int) -> None:
    """The setting of SPECIALTY, and for each setting the share of GPs who would have reached a human
    within 30 s, the mean seconds to a human and the backup rings per week, over the last weeks' calls."""
    found = _specialty(specialty)
    session = db.session()
    policy = ringing_of(session, found.id)
    click.echo(f"{found.name_fr}: {policy.mode}" + (f" after {policy.stage_seconds} s" if policy.stage_seconds is not None else ""))
    rows = automatic.expectations(session, current_app.config["SETTINGS"], found.id, clock.now(), weeks=weeks)
    click.echo(f"{'setting':<14} {'within 30 s':>11} {'mean to human':>14} {'backup rings/week':>18}")
    for row in rows:
        share = "—" if row.share_within_target is None else f"{100 * row.share_within_target:.1f} %"
        mean = "—" if row.mean_seconds is None else f"{row.mean_seconds:.1f} s"
        click.echo(f"{row.setting:<14} {share:>11} {mean:>14} {row.backup_rings_per_week:>18.1f}")
    session.rollback()


@ringing_cli.command("set")
@click.argument("specialty")
@click.argument("mode", type=click.Choice(RINGING_MODES))
@click.option("--seconds", type=int, help="Staged: seconds the primary rings alone before the backup joins.")
def set_command(specialty: str, mode: str, seconds: int | None) -> None:
    """Ring SPECIALTY's seniors one after the other (sequential), the backup joining after --seconds
    (staged), or after seconds computed from the log (automatic)."""
    found = _specialty(specialty)
    session = db.session()
    try:
        set_ringing(
            session,
            Actor.command(specialty, mode, *(["--seconds", seconds] if seconds is not None else [])),
            found.id,
            mode,
            seconds,
            clock.now(),
        )
    except RingingError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from None
    session.commit()
    click.echo(f"{found.name_fr}: {mode}" + (f" after {seconds} s" if mode == "staged" else ""))
