"""``flask users create|list|set-password|unlock``: accounts from a terminal, for IT (the first
administrator is made here)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from accounts import operations
from accounts.models import Role, User
from core import db
from core.actor import Actor

users_cli = AppGroup("users", help="Web app accounts.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line: `printf '%s\n' "$PASSWORD" | flask users create ...` (keeps it out of the process list).
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_cli.command("create")
@click.argument("email")
@click.option("--name", "full_name", required=True, help="The person's name as shown in the app.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.ADMIN.value, show_default=True)
@click.option("--senior-id", type=int, default=None, help="Their senior record (required for head and senior).")
@click.option("--language", type=click.Choice(operations.LANGUAGES), default="fr", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def create_command(email: str, full_name: str, role: str, senior_id: int | None, language: str, password_stdin: bool) -> None:
    """Create an account (by default an administrator); the password is asked for twice."""
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
        raise click.ClickException(str(exc)) from None
    click.echo(f"account #{user.id} created: {user.email} ({user.role.value})")


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def set_password_command(email: str, password_stdin: bool) -> None:
    """Give an account a new password (signs it out everywhere and lifts a sign-in lock)."""
    session = db.session()
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise click.ClickException(f"no account {email}")
    password = _read_password(password_stdin)
    try:
        operations.set_password(session, Actor.command(email), user, password)
    except operations.AccountError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"password of {user.email} changed")


@users_cli.command("list")
def list_command() -> None:
    """Every account, with its role and whether it is active."""
    for user in db.session().scalars(select(User).order_by(User.email)):
        click.echo(f"{user.id:>4}  {user.email:<40} {user.role.value:<8} {'active' if user.active else 'inactive'}  {user.full_name}")
