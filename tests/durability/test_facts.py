"""A call-log fact read back from the journal is the fact that was written: every event type, every field."""

from __future__ import annotations

import json
import types
import typing
from dataclasses import fields
from datetime import UTC, datetime

import pytest

from calllog import events as ev
from calllog.facts import StepFact, fact_from_json
from calllog.models import AttemptResult
from rota.queries import HuntEntry

PRIMARY = HuntEntry(senior_id=7, name="Dr Lefèvre", number="+33600000007", layer="primary", reason="rota")
BACKUP = HuntEntry(senior_id=9, name="Dr Roux", number="+33600000009", layer="backup", reason="swap with Dr Martin")


def _sample(kind: typing.Any, index: int) -> typing.Any:
    """A value of the annotated type that differs from field to field (so a swap of two fields shows)."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        return _sample(next(k for k in typing.get_args(kind) if k is not type(None)), index)
    if kind is HuntEntry:
        return BACKUP
    if typing.get_origin(kind) is tuple:
        return (PRIMARY, BACKUP)
    if kind is AttemptResult:
        return list(AttemptResult)[index % len(AttemptResult)]
    if kind is int:
        return 40 + index
    if kind is str:
        return f"value-{index}"
    raise AssertionError(f"no sample for {kind!r}: teach this test the new field type")


def _every_event() -> list[ev.LogEvent]:
    made = []
    for cls in typing.get_args(ev.LogEvent):
        hints = typing.get_type_hints(cls)
        made.append(cls(**{f.name: _sample(hints[f.name], i) for i, f in enumerate(fields(cls))}))
    return made


def _round_trip(fact: StepFact) -> StepFact:
    # As the journal keeps it: one JSON line on disk.
    return fact_from_json(json.loads(json.dumps(fact.to_json(), separators=(",", ":"), ensure_ascii=False)))


def test_every_event_type_comes_back_from_the_journal_with_every_field():
    events = _every_event()
    assert len(events) == len(typing.get_args(ev.LogEvent)) >= 15
    fact = StepFact("CA" + "1" * 32, datetime(2026, 3, 29, 1, 59, 30, tzinfo=UTC), tuple(events), "+33612345678", "+33199000100")
    back = _round_trip(fact)
    assert back == fact
    for written, read in zip(fact.events, back.events, strict=True):
        assert type(read) is type(written) and read == written


@pytest.mark.parametrize("entry", [PRIMARY, BACKUP])
def test_a_hunt_entry_s_json_holds_every_field(entry):
    assert entry.to_json() == {f.name: getattr(entry, f.name) for f in fields(HuntEntry)}
    assert HuntEntry.from_json(entry.to_json()) == entry
