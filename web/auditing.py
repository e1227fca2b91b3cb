"""The one audit entry a page writes itself: an administrator's simulated call from the softphone.

Nothing of Recours is changed by the page (the call goes through the real webhooks, which log it as any
call): the entry only says who placed it. Every other change is audited by the operation that makes it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from audit import record
from web.editing import actor


def log_softphone_call(session: Session, call_id: int | None, after: dict[str, Any], summary: str) -> None:
    record(session, actor(), action="softphone.call", target_type="call", target_id=call_id, after=after, summary=summary)
