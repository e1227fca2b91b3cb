"""The words of the ``flask`` commands, and ``flask db ...`` (database maintenance for IT).

Every message a command writes for a person — what it did, what it found, why it refuses — comes from
the one catalogue (:mod:`core.words`) in the language of whoever reads the terminal: ``CLI_LANGUAGE``,
else ``DEFAULT_LANGUAGE`` (French). ``CLI_LANGUAGE=en flask rota gaps`` asks one command in English.
What scripts read is the same in every language: ``flask report --csv``, a token's secret or a feed's
URL alone on standard output, ids and codes.
"""

from __future__ import annotations

import inspect
from datetime import datetime
from zoneinfo import ZoneInfo

import click
from flask import current_app, has_app_context
from flask.cli import AppGroup, ScriptInfo

from core import db, migrations
from core.errors import OperationError
from core.words import Words, in_language

__all__ = ["Command", "CommandGroup", "cli_words", "local_time", "refusal"]


def cli_words() -> Words:
    """The catalogue, numbers and dates of the terminal's reader: the app's ``CLI_LANGUAGE``, also while
    click still parses the arguments (before the command's application context), else French."""
    if has_app_context():
        return in_language(current_app.config["SETTINGS"].cli_language)
    context = click.get_current_context(silent=True)
    info = context.find_object(ScriptInfo) if context is not None else None
    if info is None:
        return in_language(None)
    return in_language(info.load_app().config["SETTINGS"].cli_language)


def local_time(at: datetime, zone: ZoneInfo, words: Words, pattern: str = "EEE dd/MM/y HH:mm") -> str:
    """``mar. 31/03/2026 02:30 CEST``: a local instant with the zone's abbreviation, so a DST change shows."""
    return f"{words.instant(at, zone, pattern)} {at.astimezone(zone).tzname()}"


def refusal(exc: OperationError, words: Words | None = None) -> click.ClickException:
    """An operation's refusal as the command's error, found by its code and said in the reader's
    language (instants in the scheduler's zone, the hospital's)."""
    words = words or cli_words()
    zone = ZoneInfo(current_app.config["SETTINGS"].scheduler.timezone)
    values = {k: local_time(v, zone, words, "dd/MM/y HH:mm") if isinstance(v, datetime) else v for k, v in exc.params.items()}
    return click.ClickException(words._(exc.template, **values))


class _SaidInWords:
    """Help texts (a command's docstring, its options' ``help=``) shown in the reader's language: the
    English written in the code is the catalogue's key (``make translations`` reads them from every
    ``cli.py``, see ``scripts/translations.py``), translated when ``--help`` or a group's list shows it."""

    help: str | None

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        words = cli_words()
        written = [(param, param.help) for param in self.get_params(ctx) if getattr(param, "help", None)]
        own = self.help
        try:
            self.help = words._(inspect.cleandoc(own)) if own else own
            for param, text in written:
                param.help = words._(text)
            super().format_help(ctx, formatter)  # type: ignore[misc]
        finally:
            self.help = own
            for param, text in written:
                param.help = text

    def get_short_help_str(self, limit: int = 45) -> str:
        own = self.help
        try:
            self.help = cli_words()._(inspect.cleandoc(own)) if own else own
            return super().get_short_help_str(limit)  # type: ignore[misc]
        finally:
            self.help = own


class Command(_SaidInWords, click.Command):
    """A ``flask`` command whose help is said in the reader's language."""


class CommandGroup(_SaidInWords, AppGroup):
    """A group of ``flask`` commands (``flask rota ...``): its commands' help in the reader's language."""

    command_class = Command
    group_class = type  # a sub-group is a CommandGroup too


db_cli = CommandGroup("db", help="Database schema.")


@db_cli.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def upgrade_command(revision: str) -> None:
    """Apply the migrations (creates the schema on an empty database)."""
    migrations.upgrade(db.database().engine, revision)
    url = db.database().engine.url.render_as_string(hide_password=True)
    click.echo(cli_words()._("database at {revision}: {url}", revision=revision, url=url))
