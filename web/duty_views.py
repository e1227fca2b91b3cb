"""The rota's answers turned into what a page shows: people with numbers and a reason, per layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rota.precedence import Decision, Place
from rota.queries import DutyAnswer
from web.i18n import _


@dataclass(frozen=True)
class PersonView:
    senior_id: int
    name: str
    number: str | None
    why: str = ""


@dataclass
class LayersView:
    primaries: list[PersonView] = field(default_factory=list)
    backups: list[PersonView] = field(default_factory=list)
    last_resorts: list[PersonView] = field(default_factory=list)

    @property
    def gap(self) -> bool:
        return not self.primaries


def why(place: Place, names: dict[int, str]) -> str:
    """Why this senior holds this place, in the reader's language."""
    source = _("rotation “{name}”", name=place.source_name) if place.source == "rotation" else _("single shift")
    if place.override is not None:
        if place.override.swap_id is not None:
            return _("swap with {name}", name=names.get(place.planned_id, "?"))
        return _("replaces {name}", name=names.get(place.planned_id, "?"))
    if place.stood_in_for is not None:
        return _("{source}, for {name} (on leave)", source=source, name=names.get(place.stood_in_for, "?"))
    return source


def layers_of(decision: Decision, names: dict[int, str], numbers: dict[int, str | None]) -> LayersView:
    view = LayersView()
    for place in decision.places:
        person = PersonView(
            place.senior_id, names.get(place.senior_id, f"#{place.senior_id}"), numbers.get(place.senior_id), why(place, names)
        )
        (view.primaries if place.layer.value == "primary" else view.backups).append(person)
    return view


def layers_of_answer(answer: DutyAnswer) -> LayersView:
    names = {sid: info.name for sid, info in answer.seniors.items()}
    numbers = {sid: info.number for sid, info in answer.seniors.items()}
    view = layers_of(answer.decision, names, numbers)
    for senior_id, reason in answer.last_resorts:
        label = _("last resort of the specialty") if reason == "specialty" else _("head of department")
        view.last_resorts.append(PersonView(senior_id, names.get(senior_id, f"#{senior_id}"), numbers.get(senior_id), label))
    return view


@dataclass
class SpecialtyNow:
    specialty_id: int
    name: str
    department: str
    layers: LayersView
    until: datetime | None
    zone: object
