"""The audit entries of the pages whose changes have not moved into operations yet (accounts, GPs,
seniors, the softphone): written with the signed-in person as the actor. Being emptied, area by area,
as those changes move into their packages' operations, which audit themselves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from audit import record, snapshot
from rota.models import Senior
from web.editing import actor


def log_change(
    session: Session,
    action: str,
    target_type: str,
    target_id: int | None,
    department_ids: Iterable[int],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    summary: str = "",
) -> None:
    record(
        session,
        actor(),
        action=action,
        target_type=target_type,
        target_id=target_id,
        department_ids=department_ids,
        before=before,
        after=after,
        summary=summary,
    )


def senior_values(senior: Senior, staff_of: Iterable[int] = ()) -> dict[str, Any]:
    return snapshot(senior, phones=[p.e164 for p in senior.phones], staff_of=sorted(staff_of))
