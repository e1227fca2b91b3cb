"""``flask gps import FILE``."""

from __future__ import annotations

import os

import click

from core import db
from core.actor import Actor
from core.cli import CommandGroup, cli_words
from directory.imports import parse_gp_csv
from directory.operations import import_gps

gps_cli = CommandGroup("gps", help="The GP directory.")


@gps_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_command(path: str) -> None:
    """Import GPs from a CSV file (columns name, rpps, phones). Nothing is written if any line is wrong."""
    words = cli_words()
    try:
        with open(path, encoding="utf-8-sig") as handle:
            content = handle.read()
    except UnicodeDecodeError:
        raise click.ClickException(words._("{path} is not UTF-8 text: export the spreadsheet as CSV UTF-8", path=path)) from None
    rows, errors = parse_gp_csv(content)
    session = db.session()
    if not errors:
        counts, errors = import_gps(session, Actor.command(path), rows, source=os.path.basename(path))
    if errors:
        session.rollback()
        for error in errors:
            click.echo(words._("{path}: line {line}: {message}", path=path, line=error.line, message=error.in_words(words)), err=True)
        raise click.ClickException(
            words.ngettext("{count} problem; nothing was imported", "{count} problems; nothing was imported", len(errors))
        )
    session.commit()
    created = words.ngettext("{count} GP created", "{count} GPs created", counts["created"])
    click.echo(words.ngettext("{created}, {count} updated", "{created}, {count} updated", counts["updated"], created=created))
