"""Writing the audit log: :func:`record` adds an entry to the caller's transaction; the caller commits."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from audit.models import AuditEntry, AuditEntryDepartment
from core import clock

if TYPE_CHECKING:
    from accounts.models import User


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: Any, *, exclude: Iterable[str] = (), **extra: Any) -> dict[str, Any]:
    """The column values of a mapped object as JSON values, plus ``extra`` (members, phone numbers...)."""
    skipped = set(exclude)
    values = {attr.key: _jsonable(getattr(obj, attr.key)) for attr in inspect(obj).mapper.column_attrs if attr.key not in skipped}
    values.update({key: _jsonable(value) for key, value in extra.items()})
    return values


def actor_label(user: User | None) -> str:
    return "system" if user is None else f"{user.full_name} <{user.email}>"


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: int | None,
    department_ids: Iterable[int] = (),
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    summary: str = "",
    remote_addr: str | None = None,
) -> AuditEntry:
    """Add one entry: ``before`` is None for a creation, ``after`` None for a deletion."""
    entry = AuditEntry(
        at=clock.now(),
        actor_user_id=None if actor is None else actor.id,
        actor=actor_label(actor),
        remote_addr=remote_addr,
        action=action,
        target_type=target_type,
        target_id=target_id,
        summary=summary,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        department_links=[AuditEntryDepartment(department_id=d) for d in sorted(set(department_ids))],
    )
    session.add(entry)
    session.flush()
    return entry


def changed_keys(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """The keys whose value differs (every key of a creation or a deletion)."""
    keys = sorted(set(before or {}) | set(after or {}))
    return [k for k in keys if (before or {}).get(k) != (after or {}).get(k)]
