"""The JSON REST API under ``/api/``: the rota for other hospital software.

One lifecycle per request, as for the pages: parse (:func:`api.spec.route`, with the resource's schema
from :mod:`api.schemas`: 422 naming every field at fault) → authorise the token (401/403, the access
matrix of :mod:`accounts.access`) → act through the operations, which alone decide what the rota
accepts and audit the change with the token as actor → commit once → answer with the same schema.
An operation's refusal becomes a problem document by its code: its kind gives the status.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, g, request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.access import Target, can
from accounts.scope import departments_of_senior
from api.problems import ApiProblem, FieldError
from api.schemas import (
    BySpecialty,
    Confirmation,
    Coverage,
    CoverageQuery,
    Department,
    DepartmentChange,
    DepartmentFields,
    LeaveEntry,
    LeaveFields,
    LeaveQuery,
    OnDuty,
    OnDutyQuery,
    Override,
    OverrideFields,
    Preview,
    Rotation,
    RotationChange,
    RotationFields,
    Senior,
    SeniorChange,
    SeniorFields,
    Shift,
    ShiftChange,
    ShiftFields,
    ShiftQuery,
    Specialty,
    SpecialtyChange,
    SpecialtyFields,
    Swap,
    SwapAction,
    SwapFields,
    SwapQuery,
    Window,
)
from api.spec import route
from api.tokens import TokenRefused, bearer_challenge, principal_of_token, token_of_request
from core import clock, db
from core.actor import Actor
from core.errors import Kind, OperationError
from rota import bounds, operations
from rota import preview as pv
from rota.coverage import coverage
from rota.ical import senior_specialty_ids
from rota.models import Department as DepartmentRow
from rota.models import DutyOverride, DutySlot, Leave, SwapRequest
from rota.models import Rotation as RotationRow
from rota.models import Senior as SeniorRow
from rota.models import Specialty as SpecialtyRow
from rota.queries import find_specialty, on_duty_hunt_list

blueprint = Blueprint("api", __name__, url_prefix="/api")

MAX_LIST = 1000
MAX_COVERAGE_DAYS = bounds.MAX_COVERAGE.days
PUBLIC_ENDPOINTS = {"api.openapi_document"}


# -- authentication, authorisation, errors ------------------------------------------------------------


@blueprint.before_request
def _authenticate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    try:
        g.api_token = token_of_request(db.session(), request.headers.get("Authorization"))
    except TokenRefused as refusal:
        challenge = bearer_challenge(refusal.invalid_token)
        raise ApiProblem(401, "unauthorized", refusal.detail, [], {"WWW-Authenticate": challenge}) from None


def _allow(action: str, target: Target | None = None, field: str | None = None) -> None:
    """The token acts like a head of its departments (or an administrator when it covers them all);
    ``field`` names what the refusal is about, when it is one thing of the request."""
    if not can(principal_of_token(g.api_token), action, target):
        detail = "this token is read-only" if g.api_token.read_only else "this token may not make this change"
        raise ApiProblem(403, "forbidden", detail, [FieldError(field, detail)] if field else [])


@blueprint.errorhandler(ApiProblem)
def _problem(problem: ApiProblem) -> Response:
    db.session().rollback()
    return problem.response()


@blueprint.after_request
def _no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# What an operation's refusal is, as HTTP: by its kind, never by its words.
STATUS_OF_KIND = {Kind.INVALID: 422, Kind.CONFLICT: 409, Kind.NOT_FOUND: 404, Kind.FORBIDDEN: 403}
PROBLEM_OF_KIND = {Kind.INVALID: "invalid-input", Kind.CONFLICT: "conflict", Kind.NOT_FOUND: "not-found", Kind.FORBIDDEN: "forbidden"}


def refused(exc: OperationError) -> ApiProblem:
    """An operation's refusal as a problem document naming its code and the field at fault."""
    params = {k: clock.iso(v) if isinstance(v, datetime) else v for k, v in exc.params.items()}
    error = FieldError(exc.field or "", exc.message, code=exc.code, params=params)
    return ApiProblem(STATUS_OF_KIND[exc.kind], PROBLEM_OF_KIND[exc.kind], exc.message, [error])


def _act(action: Callable[[Session, Actor], Any]) -> Any:
    """Call the operation with the token as actor, commit once; a refusal is a problem document."""
    session = db.session()
    try:
        result = action(session, Actor.for_token(g.api_token, request.remote_addr))
    except OperationError as exc:
        raise refused(exc) from None
    session.commit()
    return result


def _act_or_preview(query: Confirmation, action: Callable[[Session, Actor], Any], specialty_ids, *periods) -> Any:
    """:func:`_act`, or with ``dry_run`` the change's effect on coverage (rota.preview: the same operation in
    a savepoint, rolled back) answered with 200 and nothing kept."""
    if not query.dry_run:
        return _act(action)
    session = db.session()
    who = Actor.for_token(g.api_token, request.remote_addr)
    start, end = pv.window(*periods)
    try:
        found = pv.preview(session, lambda s: action(s, who), specialty_ids, start, end)
    except OperationError as exc:
        raise refused(exc) from None
    finally:
        session.rollback()
    return _preview_answer(session, found), 200


def _preview_answer(session: Session, found: pv.Preview) -> Preview:
    codes = _codes(session)
    return Preview.model_validate(
        {
            "starts_at": found.starts_at,
            "ends_at": found.ends_at,
            "specialties": [codes[i] for i in found.specialty_ids],
            "changes": [
                {
                    "specialty": codes[c.specialty_id],
                    "layer": c.layer.value,
                    "starts_at": c.starts_at,
                    "ends_at": c.ends_at,
                    "before": list(c.before),
                    "after": list(c.after),
                    "lost": c.lost,
                }
                for c in found.changes
            ],
            "new_conflicts": [
                {
                    "kind": c.kind,
                    "specialty": codes[c.specialty_id],
                    "senior_id": c.senior_id,
                    "starts_at": c.starts_at,
                    "ends_at": c.ends_at,
                    "detail": c.detail,
                    "other_specialty": codes.get(c.other_specialty_id) if c.other_specialty_id else None,
                }
                for c in found.new_conflicts
            ],
            "harmful": found.harmful,
            "version": found.version,
        }
    )


def _done(result: Any, answer: Callable[[Any], BaseModel]) -> Any:
    """The saved row as the route's answer, or a dry run's (Preview, 200) as it is."""
    return result if isinstance(result, tuple) else answer(result)


def _invalid(field: str, message: str, location: str = "body") -> ApiProblem:
    return ApiProblem(422, "invalid-input", f"{field}: {message}", [FieldError(field, message, location)])


def _get(model, object_id: int, name: str):
    found = db.session().get(model, object_id)
    if found is None:
        raise ApiProblem(404, "not-found", f"no {name} #{object_id}", [FieldError(f"{name}_id", "nothing has this id", "path")])
    return found


def _specialty(code: str | None, location: str = "body") -> SpecialtyRow | None:
    if code is None:
        return None
    found = find_specialty(db.session(), code)
    if found is None:
        raise _invalid("specialty", f"no specialty {code!r}", location)
    return found


def _codes(session: Session) -> dict[int, str]:
    return dict(session.execute(select(SpecialtyRow.id, SpecialtyRow.code)).all())


def _changed(current: BaseModel, change: BaseModel) -> dict[str, Any]:
    """The current values with the fields the PATCH body gave (the others stay as they are)."""
    values = current.model_dump()
    values.update(change.model_dump(exclude_unset=True))
    return values


def _window(query: Window | LeaveQuery, model) -> list:
    if query.from_ is not None and query.to is not None and query.to <= query.from_:
        raise _invalid("to", "must be after from", "query")
    conditions = []
    if query.from_ is not None:
        conditions.append(model.ends_at > query.from_)
    if query.to is not None:
        conditions.append(model.starts_at < query.to)
    return conditions


# -- departments --------------------------------------------------------------------------------------


@route(blueprint, "GET", "/departments", answer=list[Department])
def list_departments() -> list[Department]:
    """Every department with its time zone, rota settings and heads."""
    rows = db.session().scalars(select(DepartmentRow).order_by(DepartmentRow.id))
    return [Department.of(d) for d in rows]


@route(blueprint, "POST", "/departments", body=DepartmentFields, answer=Department, status=201, writes=True)
def create_department(body: DepartmentFields) -> Department:
    """Add a department (a token that covers every department only, as a page asks an administrator)."""
    _allow("department.edit")
    fields = body.model_dump()
    return Department.of(_act(lambda s, who: operations.create_department(s, who, fields.pop("name"), **fields)))


@route(blueprint, "PATCH", "/departments/<int:department_id>", body=DepartmentChange, answer=Department, writes=True)
def change_department(department_id: int, body: DepartmentChange) -> Department:
    """Change a department's zone, leave policy, holidays or heads; the fields not sent stay."""
    _get(DepartmentRow, department_id, "department")
    _allow("department.edit", Target.departments(department_id))
    fields = body.model_dump(exclude_unset=True)
    if fields.get("public_holidays", "") is None:
        fields["public_holidays"] = ""  # null: no holiday calendar
    return Department.of(_act(lambda s, who: operations.update_department(s, who, department_id, **fields)))


# -- specialties --------------------------------------------------------------------------------------


def _settings(fields: dict[str, Any]) -> operations.SpecialtySettings:
    fields.pop("department_id", None)
    fields.pop("id", None)
    return operations.SpecialtySettings(**fields)


@route(blueprint, "GET", "/specialties", answer=list[Specialty])
def list_specialties() -> list[Specialty]:
    """Every specialty, with its code (the key used by the other routes)."""
    return [Specialty.of(s) for s in db.session().scalars(select(SpecialtyRow).order_by(SpecialtyRow.code))]


@route(blueprint, "POST", "/specialties", body=SpecialtyFields, answer=Specialty, status=201, writes=True)
def create_specialty(body: SpecialtyFields) -> Specialty:
    """Add a specialty to a department the token may change."""
    if db.session().get(DepartmentRow, body.department_id) is None:
        raise _invalid("department_id", f"no department #{body.department_id}")
    _allow("specialty.edit", Target.departments(body.department_id))
    settings = _settings(body.model_dump())
    return Specialty.of(_act(lambda s, who: operations.create_specialty(s, who, body.department_id, settings)))


@route(blueprint, "PATCH", "/specialties/<int:specialty_id>", body=SpecialtyChange, answer=Specialty, writes=True)
def change_specialty(specialty_id: int, body: SpecialtyChange) -> Specialty:
    """Change how the hotline offers a specialty (menu key, words, direct number, last resort); the
    fields not sent stay. A specialty stays in its department."""
    row = _get(SpecialtyRow, specialty_id, "specialty")
    _allow("specialty.edit", Target.departments(row.department_id))
    if body.department_id is not None and body.department_id != row.department_id:
        raise _invalid("department_id", "a specialty cannot move to another department")
    settings = _settings(_changed(Specialty.of(row), body))
    return Specialty.of(_act(lambda s, who: operations.update_specialty(s, who, specialty_id, settings)))


# -- seniors ------------------------------------------------------------------------------------------


@route(blueprint, "GET", "/seniors", answer=list[Senior])
def list_seniors() -> list[Senior]:
    """Every senior (ids are used by rotations, shifts, overrides, leave and swaps)."""
    return [Senior.of(s) for s in db.session().scalars(select(SeniorRow).order_by(SeniorRow.id))]


def _managed() -> frozenset[int] | None:
    """The departments whose staff lists the token may change (None: all)."""
    principal = principal_of_token(g.api_token)
    return None if can(principal, "department.edit") else principal.headed_department_ids


@route(blueprint, "POST", "/seniors", body=SeniorFields, answer=Senior, status=201, writes=True)
def create_senior(body: SeniorFields) -> Senior:
    """Add a senior the hotline can ring, to the staff of a department the token may change."""
    _allow("seniors.edit", Target.of_department_ids(body.staff_of))
    managed = _managed()
    senior = _act(
        lambda s, who: operations.create_senior(
            s, who, body.full_name, body.phones, active=body.active, staff_of=body.staff_of, managed=managed
        )
    )
    return Senior.of(senior)


@route(blueprint, "PATCH", "/seniors/<int:senior_id>", body=SeniorChange, answer=Senior, writes=True)
def change_senior(senior_id: int, body: SeniorChange) -> Senior:
    """Change a senior's name, numbers, active flag or staff lists (only those of the token's
    departments change); the fields not sent stay."""
    row = _get(SeniorRow, senior_id, "senior")
    session = db.session()
    _allow("seniors.edit", Target.senior_record(departments_of_senior(session, senior_id)), "senior_id")
    managed = _managed()
    given = body.model_dump(exclude_unset=True)
    senior = _act(
        lambda s, who: operations.update_senior(
            s,
            who,
            senior_id,
            full_name=given.get("full_name", row.full_name),
            phones=given.get("phones", [p.e164 for p in row.phones]),
            active=given.get("active", row.active),
            staff_of=given.get("staff_of"),
            managed=managed,
        )
    )
    return Senior.of(senior)


# -- rotations ----------------------------------------------------------------------------------------


def _rotation_arguments(fields: dict[str, Any]) -> dict[str, Any]:
    fields.pop("specialty", None)
    fields.pop("id", None)
    return fields


@route(blueprint, "GET", "/rotations", query=BySpecialty, answer=list[Rotation])
def list_rotations(query: BySpecialty) -> list[Rotation]:
    """Rotations (recurring duty patterns), optionally of one specialty."""
    session = db.session()
    specialty = _specialty(query.specialty, "query")
    statement = select(RotationRow).order_by(RotationRow.id)
    if specialty is not None:
        statement = statement.where(RotationRow.specialty_id == specialty.id)
    codes = _codes(session)
    return [Rotation.of(r, codes[r.specialty_id]) for r in session.scalars(statement.limit(MAX_LIST))]


@route(blueprint, "POST", "/rotations", body=RotationFields, answer=Rotation, status=201, writes=True)
def create_rotation(body: RotationFields) -> Rotation:
    """Add a rotation: local wall-clock times in the department's zone, seniors taking turns."""
    specialty = _specialty(body.specialty)
    _allow("rota.edit", Target.departments(specialty.department_id))
    fields = _rotation_arguments(body.model_dump())
    rotation = _act(lambda s, who: operations.add_rotation(s, who, specialty.id, fields.pop("name"), fields.pop("layer"), **fields))
    return Rotation.of(rotation, specialty.code)


@route(blueprint, "PATCH", "/rotations/<int:rotation_id>", body=RotationChange, answer=Rotation, writes=True)
def change_rotation(rotation_id: int, body: RotationChange) -> Rotation:
    """Change a rotation in place (its past turns change too); the fields not sent stay. It stays in its
    specialty."""
    row = _get(RotationRow, rotation_id, "rotation")
    specialty = row.specialty
    _allow("rota.edit", Target.departments(specialty.department_id))
    if body.specialty is not None and _specialty(body.specialty).id != specialty.id:
        raise _invalid("specialty", "a rotation cannot move to another specialty")
    fields = _rotation_arguments(_changed(Rotation.of(row, specialty.code), body))
    return Rotation.of(_act(lambda s, who: operations.update_rotation(s, who, rotation_id, **fields)), specialty.code)


@route(blueprint, "DELETE", "/rotations/<int:rotation_id>", answer=None, status=204, writes=True)
def delete_rotation(rotation_id: int) -> Response:
    """Remove a rotation altogether (to stop it from a date on, set valid_until instead)."""
    row = _get(RotationRow, rotation_id, "rotation")
    _allow("rota.edit", Target.departments(row.specialty.department_id))
    _act(lambda s, who: operations.remove_rotation(s, who, rotation_id))
    return Response(status=204)


# -- single shifts ------------------------------------------------------------------------------------


@route(blueprint, "GET", "/shifts", query=ShiftQuery, answer=list[Shift])
def list_shifts(query: ShiftQuery) -> list[Shift]:
    """Single shifts overlapping ``[from, to)``, optionally of one specialty or one senior."""
    session = db.session()
    specialty = _specialty(query.specialty, "query")
    statement = select(DutySlot).where(*_window(query, DutySlot)).order_by(DutySlot.starts_at, DutySlot.id)
    if specialty is not None:
        statement = statement.where(DutySlot.specialty_id == specialty.id)
    if query.senior is not None:
        statement = statement.where(DutySlot.senior_id == query.senior)
    codes = _codes(session)
    return [Shift.of(s, codes[s.specialty_id]) for s in session.scalars(statement.limit(MAX_LIST))]


@route(blueprint, "POST", "/shifts", query=Confirmation, body=ShiftFields, answer=Shift, status=201, writes=True, preview=Preview)
def create_shift(query: Confirmation, body: ShiftFields) -> Shift:
    """Add a single shift ``[starts_at, ends_at)``, judged by the rota's overlap rules (rota.rules)."""
    specialty = _specialty(body.specialty)
    _allow("rota.edit", Target.departments(specialty.department_id))
    shift = _act_or_preview(
        query,
        lambda s, who: operations.add_shift(
            s, who, specialty.id, body.senior_id, body.layer, body.starts_at, body.ends_at, confirmed=query.confirm
        ),
        [specialty.id],
        (body.starts_at, body.ends_at),
    )
    return _done(shift, lambda row: Shift.of(row, specialty.code))


@route(blueprint, "PATCH", "/shifts/<int:shift_id>", query=Confirmation, body=ShiftChange, answer=Shift, writes=True, preview=Preview)
def change_shift(shift_id: int, query: Confirmation, body: ShiftChange) -> Shift:
    """Change a single shift's senior, layer or period; the fields not sent stay."""
    row = _get(DutySlot, shift_id, "shift")
    specialty = row.specialty
    _allow("rota.edit", Target.departments(specialty.department_id))
    if body.specialty is not None and _specialty(body.specialty).id != specialty.id:
        raise _invalid("specialty", "a shift cannot move to another specialty")
    fields = _changed(Shift.of(row, specialty.code), body)
    old_period = (row.starts_at, row.ends_at)
    shift = _act_or_preview(
        query,
        lambda s, who: operations.update_shift(
            s,
            who,
            shift_id,
            senior_id=fields["senior_id"],
            layer=fields["layer"],
            starts_at=fields["starts_at"],
            ends_at=fields["ends_at"],
            confirmed=query.confirm,
        ),
        [specialty.id],
        old_period,
        (fields["starts_at"], fields["ends_at"]),
    )
    return _done(shift, lambda row: Shift.of(row, specialty.code))


@route(blueprint, "DELETE", "/shifts/<int:shift_id>", answer=None, status=204, writes=True)
def delete_shift(shift_id: int) -> Response:
    """Remove a single shift."""
    row = _get(DutySlot, shift_id, "shift")
    _allow("rota.edit", Target.departments(row.specialty.department_id))
    _act(lambda s, who: operations.remove_shift(s, who, shift_id))
    return Response(status=204)


# -- overrides, leave ---------------------------------------------------------------------------------


@route(blueprint, "GET", "/overrides", query=Window, answer=list[Override])
def list_overrides(query: Window) -> list[Override]:
    """Overrides (one senior takes another's duty) overlapping ``[from, to)``."""
    session = db.session()
    specialty = _specialty(query.specialty, "query")
    statement = select(DutyOverride).where(*_window(query, DutyOverride)).order_by(DutyOverride.starts_at, DutyOverride.id)
    if specialty is not None:
        statement = statement.where(DutyOverride.specialty_id == specialty.id)
    codes = _codes(session)
    return [Override.of(o, codes[o.specialty_id]) for o in session.scalars(statement.limit(MAX_LIST))]


@route(blueprint, "POST", "/overrides", query=Confirmation, body=OverrideFields, answer=Override, status=201, writes=True, preview=Preview)
def create_override(query: Confirmation, body: OverrideFields) -> Override:
    """``replacing_senior_id`` takes every duty of ``replaced_senior_id`` for the specialty over the period."""
    specialty = _specialty(body.specialty)
    _allow("rota.edit", Target.departments(specialty.department_id))
    override = _act_or_preview(
        query,
        lambda s, who: operations.add_override(
            s,
            who,
            specialty.id,
            body.replaced_senior_id,
            body.replacing_senior_id,
            body.starts_at,
            body.ends_at,
            body.note,
            confirmed=query.confirm,
        ),
        [specialty.id],
        (body.starts_at, body.ends_at),
    )
    return _done(override, lambda row: Override.of(row, specialty.code))


@route(blueprint, "GET", "/leave", query=LeaveQuery, answer=list[LeaveEntry])
def list_leave(query: LeaveQuery) -> list[LeaveEntry]:
    """Leave overlapping ``[from, to)``, optionally of one senior."""
    statement = select(Leave).where(*_window(query, Leave)).order_by(Leave.starts_at, Leave.id)
    if query.senior is not None:
        statement = statement.where(Leave.senior_id == query.senior)
    return [LeaveEntry.of(entry) for entry in db.session().scalars(statement.limit(MAX_LIST))]


@route(blueprint, "POST", "/leave", query=Confirmation, body=LeaveFields, answer=LeaveEntry, status=201, writes=True, preview=Preview)
def create_leave(query: Confirmation, body: LeaveFields) -> LeaveEntry:
    """A senior is unavailable over ``[starts_at, ends_at)``, for every specialty. The token must cover
    every department the senior is a member of (rota.operations asks accounts.scope)."""
    session = db.session()
    if session.get(SeniorRow, body.senior_id) is None:
        raise _invalid("senior_id", f"no senior #{body.senior_id}")
    _allow("rota.edit", Target.senior_record(departments_of_senior(session, body.senior_id)), "senior_id")
    entry = _act_or_preview(
        query,
        lambda s, who: operations.add_leave(s, who, body.senior_id, body.starts_at, body.ends_at, body.reason, confirmed=query.confirm),
        senior_specialty_ids(session, body.senior_id),
        (body.starts_at, body.ends_at),
    )
    return _done(entry, LeaveEntry.of)


# -- swaps --------------------------------------------------------------------------------------------


@route(blueprint, "GET", "/swaps", query=SwapQuery, answer=list[Swap])
def list_swaps(query: SwapQuery) -> list[Swap]:
    """Swap requests, optionally of one specialty or in one status."""
    session = db.session()
    specialty = _specialty(query.specialty, "query")
    statement = select(SwapRequest).order_by(SwapRequest.id)
    if specialty is not None:
        statement = statement.where(SwapRequest.specialty_id == specialty.id)
    if query.status is not None:
        statement = statement.where(SwapRequest.status == query.status)
    codes = _codes(session)
    return [Swap.of(s, codes[s.specialty_id]) for s in session.scalars(statement.limit(MAX_LIST))]


@route(blueprint, "POST", "/swaps", body=SwapFields, answer=Swap, status=201, writes=True)
def create_swap(body: SwapFields) -> Swap:
    """``requester_id`` asks ``counterpart_id`` to take their duty over the period (a give-away), or to
    exchange it for the counterpart's duty over ``[return_starts_at, return_ends_at)``."""
    specialty = _specialty(body.specialty)
    _allow("rota.edit", Target.departments(specialty.department_id))
    swap = _act(
        lambda s, who: operations.request_swap(
            s,
            who,
            specialty.id,
            body.requester_id,
            body.counterpart_id,
            body.starts_at,
            body.ends_at,
            return_starts_at=body.return_starts_at,
            return_ends_at=body.return_ends_at,
            note=body.note,
        )
    )
    return Swap.of(swap, specialty.code)


def _swap_step(swap_id: int, body: SwapAction, step: Callable[..., SwapRequest]) -> Swap:
    swap = _get(SwapRequest, swap_id, "swap")
    code = _codes(db.session())[swap.specialty_id]
    _allow("rota.edit", Target.departments(operations.department_of_specialty(db.session(), swap.specialty_id)))
    return Swap.of(_act(lambda s, who: step(s, who, swap_id, body.senior_id)), code)


def _swap_route(action: str, step: Callable[..., SwapRequest], doc: str) -> None:
    def view(swap_id: int, body: SwapAction) -> Swap:
        return _swap_step(swap_id, body, step)

    view.__name__, view.__doc__ = f"{action}_swap", doc
    route(blueprint, "POST", f"/swaps/<int:swap_id>/{action}", body=SwapAction, answer=Swap, writes=True)(view)


SWAP_STEPS = {
    "accept": (operations.accept_swap, "The counterpart (``senior_id``) accepts: in force at once when the department needs no approval."),
    "decline": (operations.decline_swap, "The counterpart (``senior_id``) declines."),
    "approve": (operations.approve_swap, "A head of the department (``senior_id``) approves: the swap becomes overrides."),
    "reject": (operations.reject_swap, "A head of the department (``senior_id``) rejects."),
    "cancel": (operations.cancel_swap, "The requester (``senior_id``) withdraws a swap not yet in force."),
}
for _action, (_step, _doc) in SWAP_STEPS.items():
    _swap_route(_action, _step, _doc)


# -- questions ----------------------------------------------------------------------------------------


@route(blueprint, "GET", "/on-duty", query=OnDutyQuery, answer=OnDuty)
def on_duty(query: OnDutyQuery) -> OnDuty:
    """Who the hotline rings for a specialty at an instant (default: now), in order, and why."""
    specialty = _specialty(query.specialty, "query")
    at = query.at or clock.now()
    entries = on_duty_hunt_list(db.session(), specialty.id, at)
    return OnDuty(specialty=specialty.code, at=at, hunt_list=[e.to_json() for e in entries])


@route(blueprint, "GET", "/coverage", query=CoverageQuery, answer=Coverage)
def coverage_report(query: CoverageQuery) -> Coverage:
    """Gaps (nobody primary) and conflicts over ``[from, to)`` (default: the next 7 days), at most 93 days."""
    session = db.session()
    specialty = _specialty(query.specialty, "query")
    start = query.from_ or clock.now()
    end = query.to or start + timedelta(days=7)
    if end <= start:
        raise _invalid("to", "must be after from", "query")
    if end - start > timedelta(days=MAX_COVERAGE_DAYS):
        raise _invalid("to", f"the period lasts at most {MAX_COVERAGE_DAYS} days", "query")
    report = coverage(session, start, end, [specialty.id] if specialty is not None else None)
    codes = _codes(session)
    return Coverage.model_validate(
        {
            "from": report.starts_at,
            "to": report.ends_at,
            "specialties": [codes[i] for i in report.specialty_ids],
            "gaps": [{"specialty": codes[gap.specialty_id], "starts_at": gap.starts_at, "ends_at": gap.ends_at} for gap in report.gaps],
            "conflicts": [
                {
                    "kind": c.kind,
                    "specialty": codes[c.specialty_id],
                    "senior_id": c.senior_id,
                    "starts_at": c.starts_at,
                    "ends_at": c.ends_at,
                    "detail": c.detail,
                    "other_specialty": codes.get(c.other_specialty_id) if c.other_specialty_id else None,
                }
                for c in report.conflicts
            ],
        }
    )


@route(blueprint, "GET", "/openapi.json", answer={"type": "object", "required": ["openapi", "paths"]}, public=True)
def openapi_document() -> dict[str, Any]:
    """This API described in OpenAPI 3.1 (no token needed)."""
    from api.openapi import document

    return document()
