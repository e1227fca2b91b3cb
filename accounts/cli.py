"""``flask users create|list|set-password|unlock``: accounts from a terminal, for IT (the first
administrator is made here)."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from accounts import operations
from accounts.models import Role, User
from core import db
from core.actor import Actor
from core.cli import CommandGroup, cli_words, refusal

users_cli = CommandGroup("users", help="Web app accounts.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line: `printf '%s\n' "$PASSWORD" | flask users create ...` (keeps it out of the process list).
        return sys.stdin.readline().rstrip("\r\n")
    words = cli_words()
    return click.prompt(
        words._("Password"),
        hide_input=True,
        confirmation_prompt=words._("Repeat for confirmation"),
    )


@users_cli.command("create")
@click.argument("email")
@click.option("--name", "full_name", required=True, help="The person's name as shown in the app.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.SENIOR.value,
    show_default=True,
    help="What the account may do; a senior's unless chosen (the least privileges): give admin for the first administrator.",
)
@click.option("--senior-id", type=int, default=None, help="Their senior record (required for head and senior).")
@click.option("--language", type=click.Choice(operations.LANGUAGES), default="fr", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def create_command(email: str, full_name: str, role: str, senior_id: int | None, language: str, password_stdin: bool) -> None:
    """Create an account (a senior's unless --role says otherwise); the password is asked for twice."""
    password = _read_password(password_stdin)
    session = db.session()
    try:
        user = operations.create_user(
            session,
            Actor.command(email),
            email=email,
            full_name=full_name,
            role=role,
            password=password,
            senior_id=senior_id,
            language=language,
        )
        session.commit()
    except operations.AccountError as exc:
        session.rollback()
        raise refusal(exc) from None
    click.echo(cli_words()._("account #{id} created: {email} ({role})", id=user.id, email=user.email, role=user.role.value))


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def set_password_command(email: str, password_stdin: bool) -> None:
    """Give an account a new password (signs it out everywhere and lifts a sign-in lock)."""
    session = db.session()
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise click.ClickException(cli_words()._("no account {email}", email=email))
    password = _read_password(password_stdin)
    try:
        operations.set_password(session, Actor.command(email), user, password)
    except operations.AccountError as exc:
        session.rollback()
        raise refusal(exc) from None
    session.commit()
    click.echo(cli_words()._("password of {email} changed", email=user.email))


@users_cli.command("list")
def list_command() -> None:
    """Every account, with its role and whether it is active."""
    words = cli_words()
    for user in db.session().scalars(select(User).order_by(User.email)):
        state = words._("active") if user.active else words._("inactive")
        click.echo(f"{user.id:>4}  {user.email:<40} {user.role.value:<8} {state}  {user.full_name}")
