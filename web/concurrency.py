"""The pages not yet moved onto operations that lock themselves (:mod:`core.concurrency`) check a
form's fingerprint here. Being emptied, area by area, into :mod:`web.editing`."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from core.concurrency import fingerprint
from web.editing import CHANGED, DELETED

__all__ = ["CHANGED", "DELETED", "ChangedSinceOpened", "fingerprint", "lock_unchanged"]

T = TypeVar("T")


class ChangedSinceOpened(Exception):
    """The thing was changed (or deleted) by someone else after the form was opened."""

    def __init__(self, deleted: bool = False) -> None:
        super().__init__("deleted" if deleted else "changed")
        self.deleted = deleted


def lock_unchanged(session: Session, model: type[T], object_id: int, submitted: str | None, values_of) -> T:
    """The row, locked, if its fingerprint is still ``submitted``; else :class:`ChangedSinceOpened`."""
    row = session.get(model, object_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise ChangedSinceOpened(deleted=True)
    if not submitted or fingerprint(values_of(row)) != submitted:
        raise ChangedSinceOpened()
    return row
