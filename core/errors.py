"""Refusals that cross a boundary: a *code*, the *field* at fault and the *params* of the message.

An operation refuses with ``RotaError("period_order", field="ends_at")``; nobody reads its text to find
out what went wrong. The code says which message to show (translated by the web app through the
catalogue, English for the API and the CLI), what kind of refusal it is (bad input, a conflict with the
current state, something missing) and so which HTTP status the API answers; the field says where a form
or an API client puts it.

Each feature declares its codes once, on its error type::

    class RotaError(OperationError):
        prefix = "rota"
        codes = {"period_order": Code(N_("the period must end after it starts"), field="ends_at"), ...}

A code is written without its prefix where it is raised (``RotaError("period_order")``) and with it
everywhere else (``exc.code == "rota.period_order"``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from core.clock import utc_text
from core.words import N_, Words

__all__ = ["N_", "Code", "Kind", "LineError", "OperationError", "Problem", "error_types"]


class Kind(enum.StrEnum):
    INVALID = "invalid"  # the input cannot be accepted (422)
    CONFLICT = "conflict"  # the input is fine, the current state refuses it (409)
    NOT_FOUND = "not_found"  # what the change is about does not exist (404)
    FORBIDDEN = "forbidden"  # the actor may not do this (403)


@dataclass(frozen=True)
class Code:
    message: str  # English, with ``{name}`` fields filled from the params; translated where it is shown
    kind: Kind = Kind.INVALID
    field: str | None = None  # the field it is usually about; a raise may name another


class OperationError(Exception):
    """The one base type of refusals. Subclasses set ``prefix`` and ``codes``."""

    prefix: ClassVar[str] = "core"
    codes: ClassVar[Mapping[str, Code]] = {
        "changed": Code(N_("It was changed by someone else since it was read."), Kind.CONFLICT),
        "deleted": Code(N_("It was deleted by someone else since it was read."), Kind.NOT_FOUND),
    }

    def __init__(self, code: str, field: str | None = None, **params: Any) -> None:
        name = code.removeprefix(f"{self.prefix}.")
        spec = self.codes.get(name) or OperationError.codes.get(name)
        if spec is None:
            raise KeyError(f"{type(self).__name__} has no code {code!r}")  # a bug where it is raised, never hidden
        self.spec = spec
        self.code = f"{self.prefix if name in self.codes else OperationError.prefix}.{name}"
        self.field = field if field is not None else spec.field
        self.params = params
        super().__init__(self.code)

    @property
    def kind(self) -> Kind:
        return self.spec.kind

    @property
    def template(self) -> str:
        """The English message before its params are filled in: the key of the catalogue."""
        return self.spec.message

    @property
    def message(self) -> str:
        """In English, for logs, the API and the command line (instants in UTC, said so)."""
        return self.template.format(**{k: utc_text(v) if isinstance(v, datetime) else v for k, v in self.params.items()})

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class LineError:
    """A problem on one line of a file being imported (a spreadsheet's line number: the header is 1).
    Imports report every one at once and write nothing (``flask rota import``, ``flask gps import``).

    ``message`` is English with ``{name}`` fields filled from ``params``, marked for the catalogue
    (``LineError(3, N_("RPPS {rpps} must be 11 digits"), {"rpps": raw})``), so :meth:`in_words` says it
    in the reader's language; a message the catalogue does not hold is shown as written."""

    line: int
    message: str
    params: Mapping[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def text(self) -> str:
        """In English, for logs and tests."""
        return self.message.format(**self.params) if self.params else self.message

    def in_words(self, words: Words) -> str:
        return words._(self.message, **self.params)

    def __str__(self) -> str:
        return f"line {self.line}: {self.text}"


class Problem(ValueError):
    """A value that cannot be read (a date in a file, a period asked for): English with ``{name}``
    fields (``template``, marked for the catalogue) and their ``params``, said in the reader's language
    where it is shown (``words._(exc.template, **exc.params)``); ``str()`` is the English, for logs."""

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template.format(**params) if params else template)
        self.template, self.params = template, params

    def on_line(self, line: int) -> LineError:
        return LineError(line, self.template, self.params)


def error_types() -> Iterator[type[OperationError]]:
    """Every error type defined so far (those of the packages imported), for the catalogue's test."""
    pending: list[type[OperationError]] = [OperationError]
    while pending:
        current = pending.pop()
        yield current
        pending.extend(current.__subclasses__())
