"""Who is changing something. Every operation takes an :class:`Actor` and writes it into the audit log
itself, so a change made from a page, the API, a command or a scheduled job is recorded the same way.

An actor is plain data, made at the edge that knows who is asking (the signed-in user, the API token, the
command line, the scheduler) and passed down; operations never look at Flask's request.
"""

from __future__ import annotations

import enum
import getpass
from dataclasses import dataclass
from typing import Protocol


class ActorKind(enum.StrEnum):
    USER = "user"  # a person signed in to the web app
    TOKEN = "token"  # software holding an API token
    CLI = "cli"  # a ``flask …`` command typed by IT
    SCHEDULER = "scheduler"  # a scheduled job
    SYSTEM = "system"  # Recours itself (the demo seed, a migration, a test)


class _User(Protocol):
    id: int
    full_name: str
    email: str
    senior_id: int | None


class _Token(Protocol):
    id: int
    name: str


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    label: str  # as the audit log shows who it was, even after the account or token is gone
    user_id: int | None = None
    token_id: int | None = None
    # The senior record of a signed-in user: who asks for, answers or decides a swap.
    senior_id: int | None = None
    remote_addr: str | None = None

    @classmethod
    def for_user(cls, user: _User, remote_addr: str | None = None) -> Actor:
        return cls(ActorKind.USER, f"{user.full_name} <{user.email}>", user.id, None, user.senior_id, remote_addr)

    @classmethod
    def for_token(cls, token: _Token, remote_addr: str | None = None) -> Actor:
        return cls(ActorKind.TOKEN, f"API token #{token.id} {token.name}", token_id=token.id, remote_addr=remote_addr)

    @classmethod
    def cli(cls, command: str) -> Actor:
        """``command`` as typed (``flask rota import rota.csv``); the system account that ran it is kept too."""
        try:
            who = getpass.getuser()
        except (KeyError, OSError):  # no login name (a container without /etc/passwd entry)
            who = "unknown"
        return cls(ActorKind.CLI, f"{command} ({who})")

    @classmethod
    def command(cls, *details: object) -> Actor:
        """The ``flask …`` command running now (its name as click knows it), with what it acts on."""
        import click

        context = click.get_current_context(silent=True)
        # The root is whatever started the command group (``flask``, ``python -m flask``, a test runner).
        names = context.command_path.split()[1:] if context is not None else []
        return cls.cli(" ".join(["flask", *names, *map(str, details)]))

    @classmethod
    def scheduler(cls, job: str) -> Actor:
        return cls(ActorKind.SCHEDULER, f"scheduler: {job}")


SYSTEM = Actor(ActorKind.SYSTEM, "system")
