"""Two people changing the same thing: the second to save is told, instead of silently overwriting.

Whoever opened the thing (a web form, an API client) may say what it looked like then: its *fingerprint*,
a hash of its audited values. An operation reads the row again, locked (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's write transactions are serialised), and compares: a difference means someone else
changed it since, and nothing is written (``core.changed``, a conflict). This needs no version column.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from core.errors import OperationError

T = TypeVar("T")


def fingerprint(values: dict[str, Any]) -> str:
    encoded = json.dumps(values, sort_keys=True, default=str, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


def lock(
    session: Session,
    model: type[T],
    object_id: int,
    values_of: Callable[[T], dict[str, Any]],
    expected: str | None,
    missing: OperationError,
) -> T:
    """The row, locked. ``expected`` None: no check (the caller read nothing before); otherwise
    ``core.changed`` unless the row still has that fingerprint, ``core.deleted`` if it is gone.
    ``missing`` is raised for a row that is not there and was never read."""
    row = session.get(model, object_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise missing if expected is None else OperationError("deleted")
    if expected is not None and fingerprint(values_of(row)) != expected:
        raise OperationError("changed")
    return row
