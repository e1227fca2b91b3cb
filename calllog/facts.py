"""Call-log facts as records that outlive the request: what a webhook learnt or decided, in a form the
local journal can keep on disk and the writer can apply later, on any instance, any number of times.

A fact is applied by :func:`apply_fact` through :mod:`calllog.operations` only, so a fact replayed from
the journal after an outage lands exactly as it would have in the webhook's own transaction, with the
same idempotency keys (the call's sid, an attempt's rank, a status callback's sequence number).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from calllog import events as ev
from calllog import operations
from calllog.models import AttemptResult
from rota.queries import HuntEntry

_EVENT_TYPES: dict[str, type] = {cls.__name__: cls for cls in ev.LogEvent.__args__}  # type: ignore[attr-defined]
# Each event type's field names, read once (dataclasses.fields builds its tuple on every call).
_FIELD_NAMES: dict[type, tuple[str, ...]] = {cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in _EVENT_TYPES.values()}


def event_to_json(event: ev.LogEvent) -> dict[str, Any]:
    data: dict[str, Any] = {"type": type(event).__name__}
    for name in _FIELD_NAMES[type(event)]:
        value = getattr(event, name)
        if isinstance(value, HuntEntry):
            value = value.to_json()
        elif isinstance(value, tuple):
            value = [v.to_json() for v in value]
        elif isinstance(value, AttemptResult):
            value = value.value
        data[name] = value
    return data


def event_from_json(data: dict[str, Any]) -> ev.LogEvent:
    values = dict(data)
    cls = _EVENT_TYPES[values.pop("type")]
    if "hunt" in values:
        values["hunt"] = tuple(HuntEntry.from_json(h) for h in values["hunt"])
    if "entry" in values:
        values["entry"] = HuntEntry.from_json(values["entry"])
    if "result" in values:
        values["result"] = AttemptResult(values["result"])
    return cls(**values)


def _instant(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError(f"naive instant {text!r} in a call-log fact")
    return at


@dataclass(frozen=True)
class StepFact:
    """What one webhook of the call ``sid`` decided at ``at``. ``caller``/``dialled`` open the call on
    first sight; a senior's leg (``existing_call``) knows neither, so its facts wait for the call."""

    sid: str
    at: datetime
    events: tuple[ev.LogEvent, ...]
    caller: str = ""
    dialled: str = ""
    existing_call: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "step",
            "sid": self.sid,
            "at": self.at.isoformat(),
            "caller": self.caller,
            "dialled": self.dialled,
            "existing_call": self.existing_call,
            "events": [event_to_json(e) for e in self.events],
        }


@dataclass(frozen=True)
class StatusFact:
    """A status callback as received (see :func:`calllog.operations.record_status`)."""

    report: operations.StatusReport
    received_at: datetime

    def to_json(self) -> dict[str, Any]:
        r = self.report
        return {
            "kind": "status",
            "call_sid": r.call_sid,
            "status": r.status,
            "occurred_at": r.occurred_at.isoformat(),
            "sequence": r.sequence,
            "parent_sid": r.parent_sid,
            "rank": r.rank,
            "received_at": self.received_at.isoformat(),
        }


@dataclass(frozen=True)
class FailureFact:
    """An internal error or a Twilio fallback: the call went to the switchboard (see
    :func:`calllog.operations.record_failure`)."""

    sid: str
    caller: str
    dialled: str
    error: str
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "failure",
            "sid": self.sid,
            "caller": self.caller,
            "dialled": self.dialled,
            "error": self.error,
            "at": self.at.isoformat(),
        }


Fact = StepFact | StatusFact | FailureFact


def fact_from_json(data: dict[str, Any]) -> Fact:
    kind = data.get("kind")
    if kind == "step":
        return StepFact(
            sid=data["sid"],
            at=_instant(data["at"]),
            events=tuple(event_from_json(e) for e in data["events"]),
            caller=data.get("caller", ""),
            dialled=data.get("dialled", ""),
            existing_call=bool(data.get("existing_call")),
        )
    if kind == "status":
        report = operations.StatusReport(
            call_sid=data["call_sid"],
            status=data["status"],
            occurred_at=_instant(data["occurred_at"]),
            sequence=data.get("sequence"),
            parent_sid=data.get("parent_sid"),
            rank=data.get("rank"),
        )
        return StatusFact(report, _instant(data["received_at"]))
    if kind == "failure":
        return FailureFact(data["sid"], data["caller"], data["dialled"], data["error"], _instant(data["at"]))
    raise ValueError(f"unknown call-log fact kind {kind!r}")


def waits_for_call(session: Session, fact: Fact) -> bool:
    """True when the fact concerns a call (or a senior's attempt) the log does not hold yet: the facts
    of another webhook of the same call, maybe on another instance, are still on their way."""
    if isinstance(fact, StepFact) and fact.existing_call:
        call = operations.find_call(session, fact.sid)
        ranks = {e.rank for e in fact.events if hasattr(e, "rank") and not isinstance(e, ev.AttemptDialled)}
        return call is None or any(call.attempt(rank) is None for rank in ranks)
    if isinstance(fact, StatusFact) and fact.report.parent_sid and fact.report.rank is not None:
        call = operations.find_call(session, fact.report.parent_sid)
        return call is None or call.attempt(fact.report.rank) is None
    return False


def together(session: Session, fact: Fact) -> tuple[str, ...] | None:
    """The statement ``fact`` can share with the facts of its kind next to it in the journal (see
    :func:`apply_together`), or None: a call's greeting (its row alone), a status callback of the GP's own
    call said in one statement (by its shape), a new call's first steps said in one (by theirs). Such facts
    never wait for their call."""
    if isinstance(fact, StepFact) and not fact.existing_call:
        if not fact.events:
            return ("call opened",)
        if (shape := operations.step_shape(session, fact.events)) is not None:
            return ("step", *shape)
    if isinstance(fact, StatusFact) and (shape := operations.status_shape(session, fact.report)) is not None:
        return ("status", shape)
    return None


def apply_together(session: Session, key: tuple[str, ...], facts: list[Fact]) -> None:
    """Apply ``facts``, all of one :func:`together` key, as :func:`apply_fact` would one by one, with
    their statements sent together (one ``executemany``). Safe to repeat."""
    if key == ("call opened",):
        operations.record_calls_opened(session, [(f.sid, f.caller, f.dialled, f.at) for f in facts if isinstance(f, StepFact)])
    elif key[0] == "step":
        steps = [(f.sid, f.caller, f.dialled, f.events, f.at) for f in facts if isinstance(f, StepFact)]
        operations.record_steps_together(session, key[1:], steps)
    else:
        operations.record_statuses_together(session, key[1], [(f.report, f.received_at) for f in facts if isinstance(f, StatusFact)])


def apply_fact(session: Session, fact: Fact) -> None:
    """Record ``fact`` in the session's transaction (the caller commits). Safe to repeat.

    A new call's first steps and the GP's status callbacks in one statement each where the database
    can (PostgreSQL: :func:`calllog.operations.record_step_at_once`, ``record_status_at_once``), as the
    webhooks write them; the writer applies a batch of them in one transaction."""
    if isinstance(fact, StepFact):
        if not fact.existing_call:
            if not operations.record_step_at_once(session, fact.sid, fact.caller, fact.dialled, fact.events, fact.at):
                operations.record_step(session, fact.sid, fact.caller, fact.dialled, fact.events, fact.at)
            return
        call = operations.find_call(session, fact.sid)
        if call is not None:
            operations.apply(session, call, fact.events, fact.at)
    elif isinstance(fact, StatusFact):
        if operations.record_status_at_once(session, fact.report, fact.received_at) is None:
            operations.record_status(session, fact.report, fact.received_at)
    else:
        operations.record_failure(session, fact.sid, fact.caller, fact.dialled, fact.error, fact.at)
