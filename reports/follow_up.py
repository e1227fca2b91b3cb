"""What happens after "allô" (issue 14), per specialty and local month, and per senior: deferrals and
their promises (kept before the deadline, broken, not yet due), and what came of the conversations as
the seniors said (calllog/conversation.py).

Read from the call log over the report's period and scope: a month holds a few thousand calls at most,
and only connected or deferred calls are read, a handful of columns each.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from calllog.models import Attempt, AttemptResult, Call, CallbackRequest, CallOutcome, ConversationOutcome
from reports.scope import Scope
from rota.models import Senior

NOT_ANSWERED = "not_answered"  # the senior has not said what came of it (yet)
CONVERSATION_KEYS: tuple[str, ...] = (*(o.value for o in ConversationOutcome), NOT_ANSWERED)


@dataclass
class MonthFigures:
    month: str  # "2026-03", local
    specialty: str
    connected: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CONVERSATION_KEYS, 0))
    deferred: int = 0
    kept: int = 0
    broken: int = 0

    def as_json(self) -> dict:
        return {
            "month": self.month,
            "specialty": self.specialty,
            "connected": self.connected,
            "conversation_outcomes": dict(self.outcomes),
            "deferred": self.deferred,
            "promises_kept": self.kept,
            "promises_broken": self.broken,
        }


@dataclass
class PromiseFigures:
    senior: str
    taken: int = 0  # calls this senior accepted and was put through
    deferred: int = 0
    kept: int = 0
    broken: int = 0
    pending: int = 0  # open, deadline not reached yet

    def as_json(self) -> dict:
        return {
            "senior": self.senior,
            "taken": self.taken,
            "deferred": self.deferred,
            "kept": self.kept,
            "broken": self.broken,
            "pending": self.pending,
        }


@dataclass
class FollowUp:
    months: list[MonthFigures] = field(default_factory=list)
    promises: list[PromiseFigures] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"by_specialty_and_month": [m.as_json() for m in self.months], "promises_by_senior": [p.as_json() for p in self.promises]}


def promise_state(request: CallbackRequest, now: datetime) -> str:
    """ "kept" (called back before the deadline), "broken" (after it, or not at all and it has passed) or
    "pending". The deadline is the request's own, or the promised minutes when not yet announced."""
    deadline = request.deadline_at or request.requested_at + timedelta(minutes=request.promised_minutes or 0)
    if request.done_at is not None:
        return "kept" if request.done_at < deadline else "broken"
    return "broken" if now >= deadline else "pending"


def follow_up(session: Session, scope: Scope, now: datetime, specialty_names: dict[int, str]) -> FollowUp:
    period = scope.period
    rows = session.execute(
        select(Call.started_at, Call.specialty_id, Call.outcome, Call.conversation_outcome, Attempt.senior_id, CallbackRequest)
        .outerjoin(CallbackRequest, CallbackRequest.call_id == Call.id)
        .outerjoin(Attempt, (Attempt.call_id == Call.id) & (Attempt.result == AttemptResult.ACCEPTED))
        .where(
            Call.started_at >= period.start,
            Call.started_at < period.end,
            scope.calls_filter(Call.specialty_id),
            or_(Call.outcome == CallOutcome.CONNECTED, Call.outcome == CallOutcome.DEFERRED),
        )
    ).all()
    months: dict[tuple[str, int], MonthFigures] = {}
    seniors: dict[int, PromiseFigures] = defaultdict(lambda: PromiseFigures(""))
    for started_at, specialty_id, outcome, said, taken_by, request in rows:
        month = started_at.astimezone(period.zone).strftime("%Y-%m")
        key = (month, specialty_id or 0)
        if key not in months:
            months[key] = MonthFigures(month, specialty_names.get(specialty_id or 0, f"#{specialty_id}"))
        figures = months[key]
        if outcome is CallOutcome.CONNECTED:
            figures.connected += 1
            figures.outcomes[said.value if said is not None else NOT_ANSWERED] += 1
            seniors[taken_by or 0].taken += 1
        elif request is not None:
            figures.deferred += 1
            state = promise_state(request, now)
            figures.kept += state == "kept"
            figures.broken += state == "broken"
            who = seniors[request.promised_by_senior_id or 0]
            who.deferred += 1
            setattr(who, state, getattr(who, state) + 1)
    names = dict(session.execute(select(Senior.id, Senior.full_name).where(Senior.id.in_([k for k in seniors if k]))).all())
    for senior_id, figures in seniors.items():
        figures.senior = names.get(senior_id, "—")
    return FollowUp(
        months=[months[k] for k in sorted(months, key=lambda k: (k[0], months[k].specialty))],
        promises=sorted(seniors.values(), key=lambda p: (-p.broken, -p.deferred, p.senior)),
    )
