"""``flask demo seed``: the demo CHU, its accounts (printed once) and three months of calls."""

from __future__ import annotations

import secrets
import time

import click
from flask import current_app
from sqlalchemy import select

from accounts.operations import create_user
from core import clock, db
from core.actor import Actor
from core.cli import CommandGroup, cli_words
from core.words import N_, Words
from demo.calls import seed_calls
from demo.seed import NEUROLOGISTS, NEUROLOGY_HEAD, OTHERS, PARIS, is_empty, seed_demo
from reports.summaries import summarise_sealed
from rota.models import Senior

demo_cli = CommandGroup("demo", help="Demo data.")

DEMO_ADMIN = "admin@recours.example.org"
# (e-mail, name, role, the senior the account is, how the list names it)
ACCOUNTS = [
    (DEMO_ADMIN, "Démo Administrateur", "admin", None, N_("demo administrator")),
    ("direction@recours.example.org", "Démo Direction", "manager", None, N_("manager")),
    ("neurologie@recours.example.org", NEUROLOGY_HEAD, "head", NEUROLOGY_HEAD, N_("head")),
    ("cardiologie@recours.example.org", OTHERS["cardiology"][1], "head", OTHERS["cardiology"][1], N_("head")),
    ("senior@recours.example.org", f"Dr {NEUROLOGISTS[0]}", "senior", f"Dr {NEUROLOGISTS[0]}", N_("senior")),
]


def _counted(words: Words, what: str, count: int) -> str:
    """``12 seniors``: one count of what the seed made, with its plural."""
    if what == "specialties":
        return words.ngettext("{count} specialty", "{count} specialties", count)
    if what == "seniors":
        return words.ngettext("{count} senior", "{count} seniors", count)
    if what == "rotations":
        return words.ngettext("{count} rotation", "{count} rotations", count)
    if what == "gps":
        return words.ngettext("{count} GP", "{count} GPs", count)
    return f"{words.number(count)} {what.replace('_', ' ')}"  # a count the seed learnt since: its code


@demo_cli.command("seed")
@click.option("--days", default=91, show_default=True, help="Days of calls before today (0: no calls).")
@click.option("--seed", "seed_number", default=12, show_default=True, help="Seed of the calls' randomness (same seed, same demo).")
def seed_command(days: int, seed_number: int) -> None:
    """Fill an empty database with a demo hospital (does nothing if specialties exist)."""
    session = db.session()
    words = cli_words()
    if not is_empty(session):
        click.echo(words._("database already has specialties: demo data not added"))
        return
    started = time.monotonic()
    now = clock.now()
    counts = seed_demo(session, now.astimezone(PARIS).date(), history_days=max(days, 7) + 7)
    seniors = {s.full_name: s.id for s in session.scalars(select(Senior))}
    # The demo's accounts, so every role can be tried at once. Passwords are random and shown once;
    # the first sign-in asks each for their own. A real installation uses `flask users create`.
    passwords = []
    for email, name, role, senior, label in ACCOUNTS:
        password = secrets.token_urlsafe(12)
        create_user(
            session,
            Actor.command(),
            email=email,
            full_name=name,
            role=role,
            password=password,
            senior_id=seniors[senior] if senior else None,
            language="fr",
            must_change_password=True,
        )
        passwords.append((email, label, password))
    story = seed_calls(session, current_app.config["SETTINGS"], now, days=days, seed=seed_number) if days else None
    session.commit()
    if story is not None:
        summarise_sealed(session, now)  # the reports read whole days from their summaries at once
        session.commit()
    click.echo(words._("demo data added: {counts}", counts=", ".join(_counted(words, k, v) for k, v in counts.items())))
    if story is not None:
        click.echo(
            words._(
                "calls: {calls} over {days} days ({connected} connected); callback requests: {done} done ({late} late), {open} open",
                calls=story.calls,
                days=days,
                connected=story.connected,
                done=story.callbacks_done,
                late=story.callbacks_late,
                open=story.callbacks_open,
            )
        )
    click.echo(words._("seeded in {seconds} s", seconds=words.decimal(time.monotonic() - started)))
    click.echo(words._("demo accounts (shown only now; each is asked for a new password at the first sign-in at /sign-in):"))
    for email, label, password in passwords:
        click.echo("  " + words._("{role}: {email} / {password}", role=words._(label), email=email, password=password))
