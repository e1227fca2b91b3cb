"""What a rota change would do, before it is saved: the coverage it changes.

:func:`preview` runs the change — the very operation that would save it, with its checks — inside a
savepoint, reads the coverage of the affected window before and after with :mod:`rota.coverage` (the rule
the hotline uses), and rolls the savepoint back: nothing is kept, not even the audit entry. The result says,
stretch by stretch, which places change hands, which lose their primary or their backup, and which double
bookings appear (a senior on two specialties at once, a senior on leave still scheduled).

A page shows the preview and asks to confirm; the confirmation carries :attr:`Preview.version`, a digest
of the coverage the preview started from: if the rota changed meanwhile the versions differ, and the
person sees the new preview instead of saving blind. The API answers the same preview (``dry_run``).

The window is the change's own period (a shift, an override, a leave, a swap, old and new periods of an
edit) within :data:`rota.bounds.MAX_COVERAGE`; a rotation, which has no end, is previewed over
:data:`ROTATION_WINDOW` from when it changes.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rota import bounds
from rota.coverage import Conflict, coverage, duty_timeline
from rota.models import Layer, Senior
from rota.precedence import LAYERS
from rota.queries import require_aware

ROTATION_WINDOW = timedelta(days=28)


@dataclass(frozen=True)
class PlaceChange:
    """Over ``[starts_at, ends_at)`` the ``layer`` of a specialty goes from ``before`` to ``after`` (senior ids, in hunt order)."""

    specialty_id: int
    layer: Layer
    starts_at: datetime
    ends_at: datetime
    before: tuple[int, ...]
    after: tuple[int, ...]

    @property
    def lost(self) -> bool:
        """The layer had someone and has nobody: a gap (primary) or no backup any more."""
        return bool(self.before) and not self.after

    @property
    def removed(self) -> tuple[int, ...]:
        return tuple(s for s in self.before if s not in self.after)

    @property
    def added(self) -> tuple[int, ...]:
        return tuple(s for s in self.after if s not in self.before)


@dataclass
class Preview:
    starts_at: datetime
    ends_at: datetime
    specialty_ids: list[int]
    changes: list[PlaceChange] = field(default_factory=list)
    new_conflicts: list[Conflict] = field(default_factory=list)
    version: str = ""
    result: Any = None  # what the operation returned (detached after the rollback)

    @property
    def lost_primary(self) -> list[PlaceChange]:
        return [c for c in self.changes if c.lost and c.layer is Layer.PRIMARY]

    @property
    def lost_backup(self) -> list[PlaceChange]:
        return [c for c in self.changes if c.lost and c.layer is Layer.BACKUP]

    @property
    def double_bookings(self) -> list[Conflict]:
        """New conflicts that are harm: a senior on two specialties at once. (A senior on leave still
        scheduled is only harm when nobody stands in, and then a place is lost.)"""
        return [c for c in self.new_conflicts if c.kind == "two_specialties"]

    @property
    def harmful(self) -> bool:
        return bool(self.lost_primary or self.lost_backup or self.double_bookings)

    def senior_ids(self) -> set[int]:
        ids = {s for c in self.changes for s in (*c.before, *c.after)}
        return ids | {c.senior_id for c in self.new_conflicts}


def window(*periods: tuple[datetime | None, datetime | None]) -> tuple[datetime, datetime]:
    """The span of the given periods (an open end: :data:`ROTATION_WINDOW` on), within the rota's bounds."""
    spans = []
    for s, e in periods:
        if s is not None:
            s = require_aware(s)
            e = require_aware(e) if e is not None else s + ROTATION_WINDOW
            spans.append((min(s, e), max(s, e)))  # a period the wrong way round is the operation's to refuse
    start = min(max(min(s for s, _ in spans), bounds.EARLIEST), bounds.LATEST - timedelta(minutes=1))
    end = min(max(e for _, e in spans), start + bounds.MAX_COVERAGE, bounds.LATEST)
    return start, max(end, start + timedelta(minutes=1))


# -- the state of a window -----------------------------------------------------------------------------


def _layers(session: Session, specialty_ids: list[int], start: datetime, end: datetime) -> dict[int, list[tuple[datetime, datetime, dict]]]:
    timelines = duty_timeline(session, start, end, specialty_ids)
    return {
        sid: [
            (p.starts_at, p.ends_at, {layer: tuple(place.senior_id for place in p.decision.layer(layer)) for layer in LAYERS})
            for p in periods
        ]
        for sid, periods in timelines.items()
    }


def _conflict_key(c: Conflict) -> tuple:
    return (c.kind, c.specialty_id, c.senior_id, c.other_specialty_id)


def _digest(layers: dict, conflicts: list[Conflict]) -> str:
    text = repr(sorted((sid, [(s.isoformat(), e.isoformat(), sorted(v.items())) for s, e, v in p]) for sid, p in layers.items()))
    text += repr(sorted((*_conflict_key(c), c.starts_at.isoformat(), c.ends_at.isoformat()) for c in conflicts))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def state_version(session: Session, specialty_ids: Iterable[int], start: datetime, end: datetime) -> str:
    """The digest a confirmation is checked against: the coverage of the window as it is now."""
    ids = sorted(set(specialty_ids))
    return _digest(_layers(session, ids, start, end), coverage(session, start, end, ids).conflicts)


def _diff(before: dict, after: dict) -> list[PlaceChange]:
    changes: list[PlaceChange] = []
    for sid in sorted(set(before) | set(after)):
        a, b = before.get(sid, []), after.get(sid, [])
        cuts = sorted({s for s, _, _ in a} | {e for _, e, _ in a} | {s for s, _, _ in b} | {e for _, e, _ in b})
        i = j = 0
        for s, e in itertools.pairwise(cuts):
            while i < len(a) and a[i][1] <= s:
                i += 1
            while j < len(b) and b[j][1] <= s:
                j += 1
            old = a[i][2] if i < len(a) and a[i][0] <= s else {}
            new = b[j][2] if j < len(b) and b[j][0] <= s else {}
            for layer in LAYERS:
                was, now = old.get(layer, ()), new.get(layer, ())
                if was == now:
                    continue
                last = changes[-1] if changes else None
                if last and (last.specialty_id, last.layer, last.before, last.after, last.ends_at) == (sid, layer, was, now, s):
                    changes[-1] = PlaceChange(sid, layer, last.starts_at, e, was, now)
                else:
                    changes.append(PlaceChange(sid, layer, s, e, was, now))
    return sorted(changes, key=lambda c: (c.starts_at, c.specialty_id, c.layer != Layer.PRIMARY))


def _new_conflicts(before: list[Conflict], after: list[Conflict]) -> list[Conflict]:
    """Conflicts of ``after`` not already there before (over the same stretch or one containing it)."""
    old: dict[tuple, list[Conflict]] = {}
    for c in before:
        old.setdefault(_conflict_key(c), []).append(c)
    return [c for c in after if not any(o.starts_at <= c.starts_at and c.ends_at <= o.ends_at for o in old.get(_conflict_key(c), []))]


def preview(session: Session, change: Callable[[Session], Any], specialty_ids: Iterable[int], start: datetime, end: datetime) -> Preview:
    """Run ``change(session)`` (an operation) in a savepoint, compare the coverage of ``[start, end)`` for
    ``specialty_ids`` before and after, and roll back. A refusal of the operation propagates (nothing kept)."""
    ids = sorted(set(specialty_ids))
    start, end = require_aware(start), require_aware(end)
    before_layers = _layers(session, ids, start, end)
    before_conflicts = coverage(session, start, end, ids).conflicts
    savepoint = session.begin_nested()
    try:
        result = change(session)
        session.flush()
        after_layers = _layers(session, ids, start, end)
        after_conflicts = coverage(session, start, end, ids).conflicts
    finally:
        savepoint.rollback()
    return Preview(
        start,
        end,
        ids,
        _diff(before_layers, after_layers),
        _new_conflicts(before_conflicts, after_conflicts),
        _digest(before_layers, before_conflicts),
        result,
    )


def names_of(session: Session, found: Preview) -> dict[int, str]:
    ids = found.senior_ids()
    return dict(session.execute(select(Senior.id, Senior.full_name).where(Senior.id.in_(ids))).all()) if ids else {}
