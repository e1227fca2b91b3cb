"""Who is on duty at one instant: the precedence rule, written down once.

**override > leave > single shift > rotation.** For one specialty at one instant, each layer —
primary, then backup — is filled as follows; a stronger rule decides over every weaker one.

1. **Override** — "B replaces A for this specialty over [x, y)". Wherever A is *planned* by rule 3 or 4,
   B takes the place, with the override as the reason. The override is the department's own answer
   to "who covers A", so A's leave and the department's skip/gap setting (rule 2) play no part there.
   When several overrides replace A at that instant, the newest (highest id) wins. Overrides do not
   chain: "B replaces A" and "C replaces B" give B for A's duty, C for B's own duty.
2. **Leave** — a senior on leave, or deactivated, is **never rung**; nothing beats this, not even
   rule 1 (if B is on leave too, the place is empty). A planned senior on leave loses the place:
   - their single shift is *void*;
   - their rotation turn goes to the next senior in the rotation's turn order who is not on leave when
     the department's ``leave_policy`` is ``skip``, and stays empty when it is ``gap``.
3. **Single shift** — if at least one single shift of this layer covers the instant and is not void,
   the layer is exactly those shifts (oldest start first) and the rotations of the layer are not
   consulted. A void shift hides nothing: the rotation shows through.
4. **Rotation** — otherwise every rotation of the layer whose pattern covers the instant
   (:mod:`rota.patterns`) puts its senior on turn, in rotation order.

Then the hunt list is every primary place, then every backup place, then the **last resort**: the
specialty's last-resort senior or, when it has none or they are on leave, the department's heads in
order (those on leave skipped). A senior appears once, at their first place.

Intervals are half-open ``[start, end)``: at a handover instant only the incoming senior holds the
place. Everything here is pure: :mod:`rota.queries` gathers the facts for one instant (the hotline),
:mod:`rota.coverage` for every stretch of a period (gaps and conflicts), and both call :func:`decide`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from rota.models import Layer, LeavePolicy

# A single shift never lasts longer (rota.operations and rota.imports refuse longer ones; a longer row
# written by hand would be seen only in its last 8 days), so the shifts covering an instant are a
# bounded range of (specialty_id, starts_at) instead of every past shift.
MAX_SINGLE_SHIFT = timedelta(days=8)

LAYERS = (Layer.PRIMARY, Layer.BACKUP)


class RotationTurn(NamedTuple):
    """A rotation whose pattern covers the instant, and whose turn it is (build with :meth:`of`)."""

    rotation_id: int
    name: str
    layer: Layer
    members: tuple[int, ...]
    turn: int
    on_turn: int | None  # members[turn % len(members)], None without members

    @classmethod
    def of(cls, rotation_id: int, name: str, layer: Layer, members: tuple[int, ...], turn: int) -> RotationTurn:
        return cls(rotation_id, name, layer, members, turn, members[turn % len(members)] if members else None)


@dataclass(frozen=True)
class ShiftFact:
    shift_id: int
    senior_id: int
    layer: Layer


@dataclass(frozen=True)
class OverrideFact:
    override_id: int
    replaced_id: int
    replacing_id: int
    swap_id: int | None = None


class Place(NamedTuple):
    """One place in the hunt order and how it was decided.

    ``source`` is ``"shift"`` (``source_id`` the shift) or ``"rotation"`` (``source_id`` the rotation);
    ``planned_id`` is who rule 3 or 4 planned; ``override`` is set when rule 1 applied; ``stood_in_for``
    when rule 2 handed a rotation turn to the next senior. (Named tuples: a period scan makes many.)
    """

    senior_id: int
    layer: Layer
    source: str
    source_id: int
    source_name: str
    planned_id: int
    override: OverrideFact | None = None
    stood_in_for: int | None = None


class Displaced(NamedTuple):
    """A senior scheduled while on leave: planned by a shift or rotation and not overridden, or named by
    an override (``source == "override"``). The place went to ``replaced_by``, or to nobody."""

    senior_id: int
    layer: Layer
    source: str
    source_id: int
    replaced_by: int | None


@dataclass(frozen=True)
class Decision:
    places: tuple[Place, ...]
    displaced: tuple[Displaced, ...] = ()

    def layer(self, layer: Layer) -> list[Place]:
        return [p for p in self.places if p.layer is layer]

    @property
    def has_primary(self) -> bool:
        return any(p.layer is Layer.PRIMARY for p in self.places)


def decide(
    turns: Sequence[RotationTurn],
    shifts: Sequence[ShiftFact],
    overrides: Sequence[OverrideFact],
    unavailable: Collection[int],
    leave_policy: LeavePolicy,
) -> Decision:
    """Apply the rule above. ``turns`` in rotation order, ``shifts`` oldest start first, ``unavailable``
    the seniors on leave or inactive at the instant. Returns primary places, then backup places."""
    if not shifts and not overrides:
        # Rotations only: when everyone on turn is available this is rule 4 alone — the common case, kept
        # cheap for period scans.
        simple = True
        for turn in turns:
            if turn.on_turn in unavailable:
                simple = False
                break
        if simple:
            places, seated = [], set()
            for layer in LAYERS:
                for turn in turns:
                    senior = turn.on_turn
                    if turn.layer is layer and senior is not None and senior not in seated:
                        seated.add(senior)
                        places.append(Place(senior, layer, "rotation", turn.rotation_id, turn.name, senior))
            return Decision(tuple(places))
    replacement: dict[int, OverrideFact] = {}
    for override in overrides:  # rule 1: the newest override of each replaced senior
        current = replacement.get(override.replaced_id)
        if current is None or override.override_id > current.override_id:
            replacement[override.replaced_id] = override
    places: list[Place] = []
    displaced: list[Displaced] = []
    seated: set[int] = set()

    def seat_override(layer_places: list[Place], layer: Layer, source: str, source_id: int, name: str, planned: int) -> bool:
        """Rule 1 for a planned place: the replacing senior takes it (or, on leave, nobody does).
        False when no override names ``planned``."""
        override = replacement.get(planned)
        if override is None:
            return False
        if override.replacing_id not in unavailable:
            layer_places.append(Place(override.replacing_id, layer, source, source_id, name, planned, override=override))
        else:
            displaced.append(Displaced(override.replacing_id, layer, "override", override.override_id, None))
        return True

    for layer in LAYERS:
        layer_places: list[Place] = []
        for shift in shifts:  # rule 3
            if shift.layer is not layer:
                continue
            if seat_override(layer_places, layer, "shift", shift.shift_id, "", shift.senior_id):
                continue
            if shift.senior_id not in unavailable:
                layer_places.append(Place(shift.senior_id, layer, "shift", shift.shift_id, "", shift.senior_id))
            else:  # rule 2: a void shift
                displaced.append(Displaced(shift.senior_id, layer, "shift", shift.shift_id, None))
        if not layer_places:
            for turn in turns:  # rule 4
                planned = turn.on_turn
                if turn.layer is not layer or planned is None:
                    continue
                if seat_override(layer_places, layer, "rotation", turn.rotation_id, turn.name, planned):
                    continue
                if planned not in unavailable:
                    layer_places.append(Place(planned, layer, "rotation", turn.rotation_id, turn.name, planned))
                    continue
                stand_in = None  # rule 2 on a rotation turn
                if leave_policy is LeavePolicy.SKIP:
                    count = len(turn.members)
                    for step in range(1, count):
                        candidate = turn.members[(turn.turn + step) % count]
                        if candidate not in unavailable:
                            stand_in = candidate
                            break
                displaced.append(Displaced(planned, layer, "rotation", turn.rotation_id, stand_in))
                if stand_in is not None:
                    layer_places.append(Place(stand_in, layer, "rotation", turn.rotation_id, turn.name, planned, stood_in_for=planned))
        for place in layer_places:
            if place.senior_id not in seated:
                seated.add(place.senior_id)
                places.append(place)
    return Decision(tuple(places), tuple(displaced))


def last_resorts(specialty_last_resort: int | None, heads: Sequence[int], unavailable: Collection[int]) -> list[tuple[int, str]]:
    """The last-resort seniors, each with why: the specialty's own, else the department's heads."""
    if specialty_last_resort is not None and specialty_last_resort not in unavailable:
        return [(specialty_last_resort, "specialty")]
    if specialty_last_resort is not None and specialty_last_resort in heads:
        heads = [h for h in heads if h != specialty_last_resort]
    return [(head, "head") for head in heads if head not in unavailable]
