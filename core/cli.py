"""``flask db ...``: database maintenance for IT."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core import db, migrations

db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def upgrade_command(revision: str) -> None:
    """Apply the migrations (creates the schema on an empty database)."""
    migrations.upgrade(db.database().engine, revision)
    click.echo(f"database at {revision}: {db.database().engine.url.render_as_string(hide_password=True)}")
