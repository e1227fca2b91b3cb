"""``flask demo seed``."""

from __future__ import annotations

import secrets

import click
from flask.cli import AppGroup

from accounts.operations import create_user
from core import clock, db
from core.actor import Actor
from demo.seed import PARIS, is_empty, seed_demo

demo_cli = AppGroup("demo", help="Demo data.")

DEMO_ADMIN = "admin@recours.example.org"


@demo_cli.command("seed")
@click.option("--days", default=7, show_default=True, help="Days of duty from today.")
def seed_command(days: int) -> None:
    """Fill an empty database with a demo hospital (does nothing if specialties exist)."""
    session = db.session()
    if not is_empty(session):
        click.echo("database already has specialties: demo data not added")
        return
    counts = seed_demo(session, clock.now().astimezone(PARIS).date(), days)
    # A demo administrator, so the web pages can be tried at once. The password is random and shown
    # once; a real installation makes its first account with `flask users create`.
    password = secrets.token_urlsafe(12)
    create_user(
        session,
        Actor.command(),
        email=DEMO_ADMIN,
        full_name="Démo Administrateur",
        role="admin",
        password=password,
        senior_id=None,
        language="fr",
        must_change_password=True,  # shown on a terminal: the first sign-in asks for the person's own
    )
    session.commit()
    click.echo("demo data added: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
    click.echo(f"demo administrator: {DEMO_ADMIN} / {password}  (sign in at /sign-in; shown only now)")
