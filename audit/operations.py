"""Writing the audit log: :func:`record` adds an entry to the caller's transaction; the caller commits.

Operations call it themselves, inside the change (as indico's do), with the :class:`core.actor.Actor`
they were given: a change and its entry are in one transaction, whoever made it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from audit.models import AuditEntry, AuditEntryDepartment
from core import clock
from core.actor import Actor


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


def record(
    session: Session,
    actor: Actor,
    *,
    action: str,
    target_type: str,
    target_id: int | None,
    department_ids: Iterable[int] = (),
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    summary: str = "",
) -> AuditEntry:
    """Add one entry: ``before`` is None for a creation, ``after`` None for a deletion."""
    entry = AuditEntry(
        at=clock.now(),
        actor_user_id=actor.user_id,
        actor_token_id=actor.token_id,
        actor_kind=actor.kind.value,
        actor=actor.label,
        remote_addr=actor.remote_addr,
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
