"""Two people editing the same thing: the second to save is told, instead of silently overwriting.

A form carries a *fingerprint* of the thing as it was when the form was opened (a hash of its audited
values). On save the row is read again, locked (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's
write transactions are serialised), and its fingerprint compared: a difference means someone else
changed it since, and nothing is written. This needs no version column in the rota's tables.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from web.i18n import N_

T = TypeVar("T")

CHANGED = N_("It was changed by someone else since you opened it. Their version is below; check it, then save again if yours should win.")
DELETED = N_("It was deleted by someone else since you opened it.")


class ChangedSinceOpened(Exception):
    """The thing was changed (or deleted) by someone else after the form was opened."""

    def __init__(self, deleted: bool = False) -> None:
        super().__init__("deleted" if deleted else "changed")
        self.deleted = deleted


def fingerprint(values: dict[str, Any]) -> str:
    encoded = json.dumps(values, sort_keys=True, default=str, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


def lock_unchanged(session: Session, model: type[T], object_id: int, submitted: str | None, values_of) -> T:
    """The row, locked, if its fingerprint is still ``submitted``; else :class:`ChangedSinceOpened`."""
    row = session.get(model, object_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise ChangedSinceOpened(deleted=True)
    if not submitted or fingerprint(values_of(row)) != submitted:
        raise ChangedSinceOpened()
    return row
