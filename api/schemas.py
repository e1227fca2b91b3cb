"""One schema per resource (pydantic): what a request may send, what the API answers, and — the same
classes — what ``/api/openapi.json`` says (:mod:`api.spec`).

A resource's *fields* are written once: ``RotationFields`` is the body of ``POST /api/rotations``;
``Rotation`` adds what only the answer has (its id); ``RotationChange`` is the body of ``PATCH``: the
same fields, each optional (:func:`partial`). Only the shape is checked here (types, formats, presence);
whether the change makes sense is the operations' decision alone.

Bodies are read in pydantic's strict JSON mode: ``"12"`` is not a number, ``1`` is not a date-time.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema, create_model

from rota.models import Department as DepartmentRow
from rota.models import DutyOverride, DutySlot, Leave, LeavePolicy, SwapRequest, SwapStatus
from rota.models import Rotation as RotationRow
from rota.models import Senior as SeniorRow
from rota.models import Specialty as SpecialtyRow

WALL_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _wall_time(value: Any) -> Any:
    """HH:MM only (a second or an offset in a rota pattern is a mistake, not a precision)."""
    if isinstance(value, str):
        match = WALL_TIME.fullmatch(value)
        if match is None:
            raise ValueError("must be a local wall-clock time HH:MM (00:00-23:59)")
        return time(int(match[1]), int(match[2]))
    return value


Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Instant = Annotated[AwareDatetime, Field(description="ISO 8601 with an offset (Z or +01:00).")]
WallTime = Annotated[
    time,
    BeforeValidator(_wall_time),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": WALL_TIME.pattern, "description": "Local wall-clock time HH:MM."}),
]
Day = Annotated[date, WithJsonSchema({"type": "string", "format": "date"})]
Code = Annotated[str, Field(min_length=1, max_length=80, description="A specialty code (see GET /api/specialties).")]
LayerName = Literal["primary", "backup"]
Phone = Annotated[str, Field(min_length=1, max_length=40, description="E.164 (+33199000000) or French national (01 99 00 00 00).")]


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


def partial(model: type[Schema], name: str, doc: str) -> type[Schema]:
    """The same fields as ``model``, each optional (absent: unchanged): the body of a PATCH."""
    fields: dict[str, Any] = {
        key: (info.annotation | None, Field(None, description=info.description)) for key, info in model.model_fields.items()
    }
    changed = create_model(name, __base__=Schema, __doc__=doc, **fields)
    return changed


# -- departments ----------------------------------------------------------------------------------------


class DepartmentFields(Schema):
    """A department: the zone its rota patterns are read in, its leave policy and holidays, its heads."""

    name: str = Field(min_length=1, max_length=120)
    timezone: str = Field("Europe/Paris", max_length=64, examples=["Europe/Paris"])
    leave_policy: Literal["skip", "gap"] = LeavePolicy.SKIP.value
    swaps_need_approval: bool = True
    public_holidays: str | None = Field(
        None, max_length=16, description="A holiday calendar (FR, FR-57): holidays follow the Sunday pattern."
    )
    heads: list[Id] = Field(default_factory=list, description="Senior ids of the heads, in order.")


class Department(DepartmentFields):
    id: Id

    @classmethod
    def of(cls, row: DepartmentRow) -> Department:
        return cls(
            id=row.id,
            name=row.name,
            timezone=row.timezone,
            leave_policy=row.leave_policy.value,
            swaps_need_approval=row.swaps_need_approval,
            public_holidays=row.public_holidays,
            heads=[link.senior_id for link in row.head_links],
        )


DepartmentChange = partial(DepartmentFields, "DepartmentChange", "A department's settings to change; the others stay.")


# -- specialties ----------------------------------------------------------------------------------------


class SpecialtyFields(Schema):
    """How the hotline offers a specialty: its code, names, menu key, spoken words, direct number."""

    code: str = Field(min_length=1, max_length=40)
    department_id: Id
    name_fr: str = Field(min_length=1, max_length=80)
    name_en: str = Field(min_length=1, max_length=80)
    menu_digit: str | None = Field(None, pattern=r"^[1-9]$")
    speech_keywords: str = Field("", max_length=2000, description="Comma-separated words a GP may say.")
    direct_number: Phone | None = None
    last_resort_senior_id: Id | None = None


class Specialty(SpecialtyFields):
    id: Id

    @classmethod
    def of(cls, row: SpecialtyRow) -> Specialty:
        return cls(
            id=row.id,
            code=row.code,
            department_id=row.department_id,
            name_fr=row.name_fr,
            name_en=row.name_en,
            menu_digit=row.menu_digit,
            speech_keywords=row.speech_keywords,
            direct_number=row.direct_number,
            last_resort_senior_id=row.last_resort_senior_id,
        )


SpecialtyChange = partial(SpecialtyFields, "SpecialtyChange", "A specialty's settings to change; the others stay.")


# -- seniors --------------------------------------------------------------------------------------------


class SeniorFields(Schema):
    """A senior the hotline can ring: numbers in order of preference, the departments whose staff they are."""

    full_name: str = Field(min_length=1, max_length=120)
    active: bool = True
    phones: list[Phone] = Field(min_length=1, max_length=10, description="Rung in this order.")
    staff_of: list[Id] = Field(default_factory=list, description="Department ids whose staff lists name the senior.")


class Senior(Schema):
    """What every token may read about a senior (their numbers are never shown)."""

    id: Id
    full_name: str
    active: bool

    @classmethod
    def of(cls, row: SeniorRow) -> Senior:
        return cls(id=row.id, full_name=row.full_name, active=row.active)


SeniorChange = partial(SeniorFields, "SeniorChange", "A senior's details to change; the others stay.")


# -- rotations ------------------------------------------------------------------------------------------


class RotationFields(Schema):
    """A recurring duty in local wall-clock time in the department's zone, seniors taking turns."""

    specialty: Code
    name: str = Field(min_length=1, max_length=120)
    layer: LayerName = "primary"
    weekdays: str = Field(max_length=7, examples=["12345", "67"], description="ISO weekdays a window starts on (1 = Monday).")
    start: WallTime
    end: Annotated[WallTime, Field(description="Not after start: the next day (a night).")]
    members: list[Id] = Field(description="Senior ids in turn order.")
    turn_days: int = Field(7, ge=1, le=366)
    handoff: WallTime | None = Field(None, description="When one senior hands over to the next; default: start.")
    anchor: Day = Field(description="The day members[0] holds the turn starting at handoff.")
    valid_from: Instant
    valid_until: Instant | None = None


RotationChange = partial(RotationFields, "RotationChange", "A rotation's fields to change; the others stay.")


class Rotation(RotationFields):
    id: Id

    @classmethod
    def of(cls, row: RotationRow, code: str) -> Rotation:
        return cls(
            id=row.id,
            specialty=code,
            name=row.name,
            layer=row.layer.value,
            weekdays=row.weekdays,
            start=row.start_time,
            end=row.end_time,
            members=[m.senior_id for m in row.members],
            turn_days=row.turn_days,
            handoff=row.handoff_time,
            anchor=row.anchor_date,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
        )


# -- single shifts, overrides, leave -------------------------------------------------------------------


class ShiftFields(Schema):
    """One senior on duty over ``[starts_at, ends_at)`` (at most 8 days), outside any rotation."""

    specialty: Code
    senior_id: Id
    layer: LayerName = "primary"
    starts_at: Instant
    ends_at: Instant


ShiftChange = partial(ShiftFields, "ShiftChange", "A single shift's fields to change; the others stay.")


class Shift(ShiftFields):
    id: Id

    @classmethod
    def of(cls, row: DutySlot, code: str) -> Shift:
        return cls(id=row.id, specialty=code, senior_id=row.senior_id, layer=row.layer.value, starts_at=row.starts_at, ends_at=row.ends_at)


class OverrideFields(Schema):
    """``replacing_senior_id`` takes every duty of ``replaced_senior_id`` for the specialty over the period."""

    specialty: Code
    replaced_senior_id: Id
    replacing_senior_id: Id
    starts_at: Instant
    ends_at: Instant
    note: str = Field("", max_length=1000)


class Override(OverrideFields):
    id: Id
    swap_id: Id | None = Field(description="Set when the override is an approved swap (changed through the swap only).")

    @classmethod
    def of(cls, row: DutyOverride, code: str) -> Override:
        return cls(
            id=row.id,
            specialty=code,
            replaced_senior_id=row.replaced_senior_id,
            replacing_senior_id=row.replacing_senior_id,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            note=row.note,
            swap_id=row.swap_id,
        )


class LeaveFields(Schema):
    """A senior unavailable over ``[starts_at, ends_at)``, for every specialty."""

    senior_id: Id
    starts_at: Instant
    ends_at: Instant
    reason: str = Field("", max_length=120)


class LeaveEntry(LeaveFields):
    id: Id

    @classmethod
    def of(cls, row: Leave) -> LeaveEntry:
        return cls(id=row.id, senior_id=row.senior_id, starts_at=row.starts_at, ends_at=row.ends_at, reason=row.reason)


# -- swaps ----------------------------------------------------------------------------------------------


class SwapFields(Schema):
    """``requester_id`` asks ``counterpart_id`` to take their duty over the period (a give-away), or to
    exchange it for the counterpart's over ``[return_starts_at, return_ends_at)``."""

    specialty: Code
    requester_id: Id
    counterpart_id: Id
    starts_at: Instant
    ends_at: Instant
    return_starts_at: Instant | None = None
    return_ends_at: Instant | None = None
    note: str = Field("", max_length=1000)


class Swap(SwapFields):
    id: Id
    status: SwapStatus

    @classmethod
    def of(cls, row: SwapRequest, code: str) -> Swap:
        return cls(
            id=row.id,
            specialty=code,
            requester_id=row.requester_id,
            counterpart_id=row.counterpart_id,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            return_starts_at=row.return_starts_at,
            return_ends_at=row.return_ends_at,
            status=row.status,
            note=row.note,
        )


class SwapAction(Schema):
    senior_id: Id = Field(description="The senior acting (counterpart, head or requester).")


# -- questions ------------------------------------------------------------------------------------------


class HuntEntry(Schema):
    senior_id: Id
    name: str
    number: str = Field(description="E.164")
    layer: Literal["primary", "backup", "last_resort"]
    reason: str


class OnDuty(Schema):
    specialty: Code
    at: Instant
    hunt_list: list[HuntEntry]


class Gap(Schema):
    specialty: Code
    starts_at: Instant
    ends_at: Instant


class Conflict(Schema):
    kind: Literal["two_specialties", "on_leave"]
    specialty: Code
    senior_id: Id
    starts_at: Instant
    ends_at: Instant
    detail: str
    other_specialty: str | None


class PlaceChange(Schema):
    specialty: Code
    layer: Literal["primary", "backup"]
    starts_at: Instant
    ends_at: Instant
    before: list[Id] = Field(description="Seniors holding the place before the change, in hunt order.")
    after: list[Id] = Field(description="Seniors holding it after the change.")
    lost: bool = Field(description="The place had someone and would have nobody: a gap (primary) or no backup any more.")


class Preview(Schema):
    """What a change would do to coverage (``?dry_run=true``): nothing is saved."""

    starts_at: Instant
    ends_at: Instant
    specialties: list[Code]
    changes: list[PlaceChange]
    new_conflicts: list[Conflict]
    harmful: bool = Field(description="A primary or a backup lost, or a new double booking.")
    version: str = Field(description="Digest of the coverage the preview started from.")


class Coverage(Schema):
    model_config = ConfigDict(populate_by_name=True)

    from_: Instant = Field(alias="from")
    to: Instant
    specialties: list[Code]
    gaps: list[Gap]
    conflicts: list[Conflict]


# -- query strings --------------------------------------------------------------------------------------


class Query(BaseModel):
    """Query strings are text: numbers and instants are read from it (pydantic's lax mode); unknown
    parameters are ignored, as HTTP caches and proxies add their own."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)


class Confirmation(Query):
    confirm: bool = Field(
        False,
        description="Save despite a finding that needs confirming (rota.rules): two primaries at once, a period "
        "that ended over 31 days ago. Without it such a change is refused with its code (409 or 422).",
    )
    dry_run: bool = Field(
        False,
        description="Save nothing: answer 200 with what the change would do to coverage (a Preview: places that "
        "change hands, lost primary or backup, new double bookings), computed by the very operation and rolled "
        "back. A change the rota refuses is refused as it would be on saving.",
    )


class BySpecialty(Query):
    specialty: Code | None = Field(None, description="Only this specialty (code).")


class Window(BySpecialty):
    from_: Instant | None = Field(None, alias="from", description="Only what ends after this instant.")
    to: Instant | None = Field(None, description="Only what starts before this instant.")


class ShiftQuery(Window):
    senior: Id | None = Field(None, description="Only this senior (id).")


class LeaveQuery(Query):
    senior: Id | None = Field(None, description="Only this senior (id).")
    from_: Instant | None = Field(None, alias="from", description="Only what ends after this instant.")
    to: Instant | None = Field(None, description="Only what starts before this instant.")


class SwapQuery(BySpecialty):
    status: SwapStatus | None = Field(None, description="Only swaps in this status.")


class OnDutyQuery(Query):
    specialty: Code = Field(description="The specialty (code).")
    at: Instant | None = Field(None, description="Default: now.")


class CoverageQuery(Window):
    pass
