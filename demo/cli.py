"""``flask demo seed``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core import clock, db
from demo.seed import PARIS, is_empty, seed_demo

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("seed")
@click.option("--days", default=7, show_default=True, help="Days of duty from today.")
def seed_command(days: int) -> None:
    """Fill an empty database with a demo hospital (does nothing if specialties exist)."""
    session = db.session()
    if not is_empty(session):
        click.echo("database already has specialties: demo data not added")
        return
    counts = seed_demo(session, clock.now().astimezone(PARIS).date(), days)
    session.commit()
    click.echo("demo data added: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
