"""Reading the audit log, limited to what the reader may see."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from audit.models import AuditEntry, AuditEntryDepartment


def _visible(query: Select, department_ids: Collection[int] | None) -> Select:
    """``department_ids`` None: every entry (administrators); otherwise entries about those departments."""
    if department_ids is None:
        return query
    linked = select(AuditEntryDepartment.entry_id).where(AuditEntryDepartment.department_id.in_(list(department_ids)))
    return query.where(AuditEntry.id.in_(linked))


def entries(
    session: Session,
    department_ids: Collection[int] | None,
    *,
    department_id: int | None = None,
    action_prefix: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEntry], int]:
    """The newest entries first, and how many there are in all."""
    query = _visible(select(AuditEntry), department_ids)
    if department_id is not None:
        query = query.where(
            AuditEntry.id.in_(select(AuditEntryDepartment.entry_id).where(AuditEntryDepartment.department_id == department_id))
        )
    if action_prefix:
        query = query.where(AuditEntry.action.startswith(action_prefix, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.options(selectinload(AuditEntry.department_links))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total
