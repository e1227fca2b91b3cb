"""``flask ringing show|set``: how a specialty's seniors are rung, and what each setting would give."""

from __future__ import annotations

import click
from flask import current_app

from core import clock, db
from core.actor import Actor
from core.cli import CommandGroup, cli_words, refusal
from core.words import Words
from ringing import automatic
from ringing.models import RINGING_MODES, SEQUENTIAL, STAGED
from ringing.operations import RingingError, set_ringing
from ringing.queries import ringing_of
from rota.queries import find_specialty

ringing_cli = CommandGroup("ringing", help="Sequential, staged or automatic ringing per specialty.")


def _specialty(code: str, words: Words):
    found = find_specialty(db.session(), code)
    if found is None:
        raise click.ClickException(words._("no specialty '{name}'", name=code))
    return found


def _setting(words: Words, mode: str, seconds: int | None) -> str:
    if mode == STAGED and seconds is not None:
        return words._("staged after {seconds} s", seconds=seconds)
    return words._("sequential") if mode == SEQUENTIAL else words._("automatic")


@ringing_cli.command("show")
@click.argument("specialty")
@click.option("--weeks", default=4, show_default=True, type=click.IntRange(1, 52), help="Weeks of the log to replay.")
def show_command(specialty: str, weeks: int) -> None:
    """The setting of SPECIALTY, and for each setting the share of GPs who would have reached a human
    within 30 s, the mean seconds to a human and the backup rings per week, over the last weeks' calls."""
    words = cli_words()
    found = _specialty(specialty, words)
    session = db.session()
    policy = ringing_of(session, found.id)
    click.echo(f"{found.name(words.language)}: {_setting(words, policy.mode, policy.stage_seconds)}")
    rows = automatic.expectations(session, current_app.config["SETTINGS"], found.id, clock.now(), weeks=weeks)
    titles = (words._("setting"), words._("GPs reaching a human within {seconds} s", seconds=automatic.TARGET_SECONDS))
    click.echo("\t".join((*titles, words._("mean time to a human (s)"), words._("backup rings per week"))))
    for row in rows:
        mode, _, seconds = row.setting.partition(" ")
        label = _setting(words, STAGED if mode == "staged" else mode, int(seconds.split()[0]) if seconds else None)
        share = "—" if row.share_within_target is None else words.percent(row.share_within_target)
        mean = "—" if row.mean_seconds is None else words.decimal(row.mean_seconds, 1)
        click.echo("\t".join((label, share, mean, words.decimal(row.backup_rings_per_week, 1))))
    session.rollback()


@ringing_cli.command("set")
@click.argument("specialty")
@click.argument("mode", type=click.Choice(RINGING_MODES))
@click.option("--seconds", type=int, help="Staged: seconds the primary rings alone before the backup joins.")
def set_command(specialty: str, mode: str, seconds: int | None) -> None:
    """Ring SPECIALTY's seniors one after the other (sequential), the backup joining after --seconds
    (staged), or after seconds computed from the log (automatic)."""
    words = cli_words()
    found = _specialty(specialty, words)
    session = db.session()
    actor = Actor.command(specialty, mode, *(["--seconds", seconds] if seconds is not None else []))
    try:
        set_ringing(session, actor, found.id, mode, seconds, clock.now())
    except RingingError as exc:
        session.rollback()
        raise refusal(exc, words) from None
    session.commit()
    click.echo(f"{found.name(words.language)}: {_setting(words, mode, seconds)}")
