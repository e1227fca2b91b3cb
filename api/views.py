"""The JSON REST API under ``/api/``: the rota for other hospital software.

One lifecycle per request: read the fields (422 with every problem at once) → check the token's scope
(401/403) → act through :mod:`rota.operations`, which alone decides what the rota accepts → commit once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from accounts.scope import departments_of_senior
from api import serialize
from api.fields import Fields, json_object
from api.models import ApiToken
from api.problems import ApiProblem, FieldError, invalid, problem_response
from api.tokens import authenticate
from core import clock, db
from core.actor import Actor
from core.errors import Kind, OperationError
from rota import operations
from rota.coverage import coverage
from rota.models import Department, DutyOverride, DutySlot, Leave, Rotation, Senior, Specialty, SwapRequest, SwapStatus
from rota.queries import on_duty_hunt_list

blueprint = Blueprint("api", __name__, url_prefix="/api")

MAX_LIST = 1000
MAX_COVERAGE_DAYS = 93
PUBLIC_ENDPOINTS = {"api.openapi_document"}


# -- authentication, scope, errors --------------------------------------------------------------------


@blueprint.before_request
def _authenticate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    challenge = {"WWW-Authenticate": 'Bearer realm="recours"'}
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiProblem(401, "unauthorized", "send an API token: Authorization: Bearer <token>", [], challenge)
    token = authenticate(db.session(), secret.strip())
    if token is None:
        raise ApiProblem(
            401,
            "unauthorized",
            "this token is unknown or revoked",
            [],
            {**challenge, "WWW-Authenticate": challenge["WWW-Authenticate"] + ', error="invalid_token"'},
        )
    g.api_token = token


def _require_write(department_id: int) -> None:
    token: ApiToken = g.api_token
    if token.read_only:
        raise ApiProblem(403, "forbidden", "this token is read-only")
    if department_id not in token.department_ids:
        raise ApiProblem(403, "forbidden", "this token may not change the rota of that department")


@blueprint.errorhandler(ApiProblem)
def _problem(problem: ApiProblem) -> Response:
    db.session().rollback()
    return problem.response()


def handle_http_error(error: HTTPException):
    """404/405 and other HTTP errors of ``/api/`` as problem documents; elsewhere unchanged."""
    if request.path.startswith("/api/") and request.blueprint in (None, "api"):
        kind = {404: "not-found", 405: "method-not-allowed"}.get(error.code or 500, "http-error")
        allow = {"Allow": ", ".join(error.valid_methods)} if isinstance(error, MethodNotAllowed) and error.valid_methods else {}
        return problem_response(error.code or 500, kind, error.description or "", [], allow)
    return error


@blueprint.after_request
def _no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# What an operation's refusal is, as HTTP: by its kind, never by its words.
STATUS_OF_KIND = {Kind.INVALID: 422, Kind.CONFLICT: 409, Kind.NOT_FOUND: 404, Kind.FORBIDDEN: 403}
PROBLEM_OF_KIND = {Kind.INVALID: "invalid-input", Kind.CONFLICT: "conflict", Kind.NOT_FOUND: "not-found", Kind.FORBIDDEN: "forbidden"}


def refused(exc: OperationError) -> ApiProblem:
    """An operation's refusal as a problem document naming its code and the field at fault."""
    error = FieldError(exc.field or "", exc.message, code=exc.code, params=exc.params)
    return ApiProblem(STATUS_OF_KIND[exc.kind], PROBLEM_OF_KIND[exc.kind], exc.message, [error])


def _actor() -> Actor:
    return Actor.for_token(g.api_token, request.remote_addr)


def _act(action: Callable[[Session, Actor], Any]) -> Any:
    session = db.session()
    try:
        result = action(session, _actor())
    except OperationError as exc:
        raise refused(exc) from None
    session.commit()
    return result


def _codes(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Specialty.id, Specialty.code)).all())


def _senior(session: Session, fields: Fields, name: str, *, required: bool = True) -> Senior | None:
    senior_id = fields.integer(name, required=required)
    if senior_id is None:
        return None
    found = session.get(Senior, senior_id)
    if found is None:
        fields.fail(name, f"no senior #{senior_id}")
    return found


def _window(fields: Fields):
    start, end = fields.instant("from", required=False), fields.instant("to", required=False)
    if start is not None and end is not None and end <= start:
        fields.fail("to", "must be after from")
    return start, end


def _created(body: dict[str, Any]) -> tuple[Response, int]:
    return jsonify(body), 201


# -- reference data -----------------------------------------------------------------------------------


@blueprint.get("/departments")
def list_departments():
    """Every department with its time zone and rota settings."""
    return jsonify([serialize.department(d) for d in db.session().scalars(select(Department).order_by(Department.id))])


@blueprint.get("/specialties")
def list_specialties():
    """Every specialty, with its code (the key used by the other routes)."""
    return jsonify([serialize.specialty(s) for s in db.session().scalars(select(Specialty).order_by(Specialty.code))])


@blueprint.get("/seniors")
def list_seniors():
    """Every senior (ids are used by rotations, shifts, overrides, leave and swaps)."""
    return jsonify([serialize.senior(s) for s in db.session().scalars(select(Senior).order_by(Senior.id))])


# -- rotations ----------------------------------------------------------------------------------------

ROTATION_FIELDS = {
    "specialty",
    "name",
    "layer",
    "weekdays",
    "start",
    "end",
    "members",
    "turn_days",
    "handoff",
    "anchor",
    "valid_from",
    "valid_until",
}


@blueprint.get("/rotations")
def list_rotations():
    """Rotations (recurring duty patterns), optionally of one specialty."""
    session = db.session()
    fields = Fields(request.args, "query")
    specialty = fields.specialty(session, required=False)
    fields.check()
    query = select(Rotation).order_by(Rotation.id)
    if specialty is not None:
        query = query.where(Rotation.specialty_id == specialty.id)
    codes = _codes(session)
    return jsonify([serialize.rotation(r, codes[r.specialty_id]) for r in session.scalars(query.limit(MAX_LIST))])


@blueprint.post("/rotations")
def create_rotation():
    """Add a rotation: local wall-clock times in the department's zone, seniors taking turns."""
    session = db.session()
    fields = Fields(json_object(request), "body", ROTATION_FIELDS)
    specialty = fields.specialty(session)
    name = fields.text("name", max_length=120)
    layer = fields.layer()
    weekdays = fields.text("weekdays", max_length=7)
    start, end = fields.wall_time("start"), fields.wall_time("end")
    members = fields.integers("members")
    turn_days = fields.integer("turn_days", required=False, default=7, high=366)
    handoff = fields.wall_time("handoff", required=False)
    anchor = fields.day("anchor")
    valid_from = fields.instant("valid_from")
    valid_until = fields.instant("valid_until", required=False)
    fields.check()
    assert specialty is not None and layer is not None and start and end and anchor and valid_from and turn_days
    _require_write(specialty.department_id)
    rotation = _act(
        lambda s, who: operations.add_rotation(
            s,
            who,
            specialty.id,
            name,
            layer,
            weekdays=weekdays,
            start=start,
            end=end,
            members=members,
            turn_days=turn_days,
            handoff=handoff,
            anchor=anchor,
            valid_from=valid_from,
            valid_until=valid_until,
        )
    )
    return _created(serialize.rotation(rotation, specialty.code))


# -- single shifts, overrides, leave ------------------------------------------------------------------


def _interval_filter(model, fields: Fields):
    start, end = _window(fields)
    conditions = []
    if start is not None:
        conditions.append(model.ends_at > start)
    if end is not None:
        conditions.append(model.starts_at < end)
    return conditions


@blueprint.get("/shifts")
def list_shifts():
    """Single shifts overlapping ``[from, to)``, optionally of one specialty or one senior."""
    session = db.session()
    fields = Fields(request.args, "query")
    specialty = fields.specialty(session, required=False)
    senior_id = fields.integer("senior", required=False)
    conditions = _interval_filter(DutySlot, fields)
    fields.check()
    query = select(DutySlot).where(*conditions).order_by(DutySlot.starts_at, DutySlot.id)
    if specialty is not None:
        query = query.where(DutySlot.specialty_id == specialty.id)
    if senior_id is not None:
        query = query.where(DutySlot.senior_id == senior_id)
    codes = _codes(session)
    return jsonify([serialize.shift(s, codes[s.specialty_id]) for s in session.scalars(query.limit(MAX_LIST))])


@blueprint.post("/shifts")
def create_shift():
    """Add a single shift ``[starts_at, ends_at)``."""
    session = db.session()
    fields = Fields(json_object(request), "body", {"specialty", "senior_id", "layer", "starts_at", "ends_at"})
    specialty = fields.specialty(session)
    senior = _senior(session, fields, "senior_id")
    layer = fields.layer()
    starts_at, ends_at = fields.instant("starts_at"), fields.instant("ends_at")
    fields.check()
    assert specialty and senior and layer and starts_at and ends_at
    _require_write(specialty.department_id)
    shift = _act(lambda s, who: operations.add_shift(s, who, specialty.id, senior.id, layer, starts_at, ends_at))
    return _created(serialize.shift(shift, specialty.code))


@blueprint.get("/overrides")
def list_overrides():
    """Overrides (one senior takes another's duty) overlapping ``[from, to)``."""
    session = db.session()
    fields = Fields(request.args, "query")
    specialty = fields.specialty(session, required=False)
    conditions = _interval_filter(DutyOverride, fields)
    fields.check()
    query = select(DutyOverride).where(*conditions).order_by(DutyOverride.starts_at, DutyOverride.id)
    if specialty is not None:
        query = query.where(DutyOverride.specialty_id == specialty.id)
    codes = _codes(session)
    return jsonify([serialize.override(o, codes[o.specialty_id]) for o in session.scalars(query.limit(MAX_LIST))])


@blueprint.post("/overrides")
def create_override():
    """``replacing_senior_id`` takes every duty of ``replaced_senior_id`` for the specialty over the interval."""
    session = db.session()
    fields = Fields(
        json_object(request), "body", {"specialty", "replaced_senior_id", "replacing_senior_id", "starts_at", "ends_at", "note"}
    )
    specialty = fields.specialty(session)
    replaced = _senior(session, fields, "replaced_senior_id")
    replacing = _senior(session, fields, "replacing_senior_id")
    starts_at, ends_at = fields.instant("starts_at"), fields.instant("ends_at")
    note = fields.text("note", required=False)
    fields.check()
    assert specialty and replaced and replacing and starts_at and ends_at
    _require_write(specialty.department_id)
    override = _act(lambda s, who: operations.add_override(s, who, specialty.id, replaced.id, replacing.id, starts_at, ends_at, note))
    return _created(serialize.override(override, specialty.code))


@blueprint.get("/leave")
def list_leave():
    """Leave overlapping ``[from, to)``, optionally of one senior."""
    session = db.session()
    fields = Fields(request.args, "query")
    senior_id = fields.integer("senior", required=False)
    conditions = _interval_filter(Leave, fields)
    fields.check()
    query = select(Leave).where(*conditions).order_by(Leave.starts_at, Leave.id)
    if senior_id is not None:
        query = query.where(Leave.senior_id == senior_id)
    return jsonify([serialize.leave(entry) for entry in session.scalars(query.limit(MAX_LIST))])


@blueprint.post("/leave")
def create_leave():
    """A senior is unavailable over ``[starts_at, ends_at)``, for every specialty. The token must cover
    one of the senior's departments."""
    session = db.session()
    fields = Fields(json_object(request), "body", {"senior_id", "starts_at", "ends_at", "reason"})
    senior = _senior(session, fields, "senior_id")
    starts_at, ends_at = fields.instant("starts_at"), fields.instant("ends_at")
    reason = fields.text("reason", required=False, max_length=120)
    fields.check()
    assert senior and starts_at and ends_at
    token: ApiToken = g.api_token
    if token.read_only:
        raise ApiProblem(403, "forbidden", "this token is read-only")
    if not departments_of_senior(session, senior.id) & token.department_ids:
        raise ApiProblem(403, "forbidden", "this senior belongs to no department this token may change")
    entry = _act(lambda s, who: operations.add_leave(s, who, senior.id, starts_at, ends_at, reason))
    return _created(serialize.leave(entry))


# -- swaps --------------------------------------------------------------------------------------------

SWAP_ACTIONS = {
    "accept": operations.accept_swap,
    "decline": operations.decline_swap,
    "approve": operations.approve_swap,
    "reject": operations.reject_swap,
    "cancel": operations.cancel_swap,
}


@blueprint.get("/swaps")
def list_swaps():
    """Swap requests, optionally of one specialty or in one status."""
    session = db.session()
    fields = Fields(request.args, "query")
    specialty = fields.specialty(session, required=False)
    status = fields.text("status", required=False)
    if status and status not in {s.value for s in SwapStatus}:
        fields.fail("status", f"must be one of {', '.join(s.value for s in SwapStatus)}")
    fields.check()
    query = select(SwapRequest).order_by(SwapRequest.id)
    if specialty is not None:
        query = query.where(SwapRequest.specialty_id == specialty.id)
    if status:
        query = query.where(SwapRequest.status == SwapStatus(status))
    codes = _codes(session)
    return jsonify([serialize.swap(s, codes[s.specialty_id]) for s in session.scalars(query.limit(MAX_LIST))])


@blueprint.post("/swaps")
def create_swap():
    """``requester_id`` asks ``counterpart_id`` to take their duty over the interval (a give-away), or to
    exchange it for the counterpart's duty over ``[return_starts_at, return_ends_at)``."""
    session = db.session()
    known = {"specialty", "requester_id", "counterpart_id", "starts_at", "ends_at", "return_starts_at", "return_ends_at", "note"}
    fields = Fields(json_object(request), "body", known)
    specialty = fields.specialty(session)
    requester = _senior(session, fields, "requester_id")
    counterpart = _senior(session, fields, "counterpart_id")
    starts_at, ends_at = fields.instant("starts_at"), fields.instant("ends_at")
    return_starts_at, return_ends_at = fields.instant("return_starts_at", required=False), fields.instant("return_ends_at", required=False)
    note = fields.text("note", required=False)
    fields.check()
    assert specialty and requester and counterpart and starts_at and ends_at
    _require_write(specialty.department_id)
    swap = _act(
        lambda s, who: operations.request_swap(
            s,
            who,
            specialty.id,
            requester.id,
            counterpart.id,
            starts_at,
            ends_at,
            at=clock.now(),
            return_starts_at=return_starts_at,
            return_ends_at=return_ends_at,
            note=note,
        )
    )
    return _created(serialize.swap(swap, specialty.code))


@blueprint.post("/swaps/<int:swap_id>/<action>")
def act_on_swap(swap_id: int, action: str):
    """Move a swap on: the counterpart accepts or declines, a head approves or rejects, the requester
    cancels. ``senior_id`` is the senior doing it; rota.operations checks they may."""
    session = db.session()
    if action not in SWAP_ACTIONS:
        raise invalid([FieldError("action", f"must be one of {', '.join(SWAP_ACTIONS)}", "path")])
    swap = session.get(SwapRequest, swap_id)
    if swap is None:
        raise ApiProblem(404, "not-found", f"no swap #{swap_id}", [FieldError("swap_id", "no such swap", "path")])
    fields = Fields(json_object(request), "body", {"senior_id"})
    senior = _senior(session, fields, "senior_id")
    fields.check()
    assert senior is not None
    specialty = session.get(Specialty, swap.specialty_id)
    assert specialty is not None
    _require_write(specialty.department_id)
    swap = _act(lambda s, who: SWAP_ACTIONS[action](s, who, swap_id, senior.id))
    return jsonify(serialize.swap(swap, specialty.code))


# -- questions ----------------------------------------------------------------------------------------


@blueprint.get("/on-duty")
def on_duty():
    """Who the hotline rings for a specialty at an instant (default: now), in order, and why."""
    session = db.session()
    fields = Fields(request.args, "query")
    specialty = fields.specialty(session)
    at = fields.instant("at", required=False)
    fields.check()
    assert specialty is not None
    at = at or clock.now()
    entries = on_duty_hunt_list(session, specialty.id, at)
    return jsonify({"specialty": specialty.code, "at": serialize.instant(at), "hunt_list": [e.to_json() for e in entries]})


@blueprint.get("/coverage")
def coverage_report():
    """Gaps (nobody primary) and conflicts over ``[from, to)`` (default: the next 7 days), at most 93 days."""
    session = db.session()
    fields = Fields(request.args, "query")
    specialty = fields.specialty(session, required=False)
    start, end = _window(fields)
    start = start or clock.now()
    end = end or start + timedelta(days=7)
    if end - start > timedelta(days=MAX_COVERAGE_DAYS):
        fields.fail("to", f"the period lasts at most {MAX_COVERAGE_DAYS} days")
    if end <= start and not any(e.field == "to" for e in fields.errors):
        fields.fail("to", "must be after from")
    fields.check()
    report = coverage(session, start, end, [specialty.id] if specialty is not None else None)
    codes = _codes(session)
    return jsonify(
        {
            "from": serialize.instant(report.starts_at),
            "to": serialize.instant(report.ends_at),
            "specialties": [codes[i] for i in report.specialty_ids],
            "gaps": [
                {"specialty": codes[g.specialty_id], "starts_at": serialize.instant(g.starts_at), "ends_at": serialize.instant(g.ends_at)}
                for g in report.gaps
            ],
            "conflicts": [
                {
                    "kind": c.kind,
                    "specialty": codes[c.specialty_id],
                    "senior_id": c.senior_id,
                    "starts_at": serialize.instant(c.starts_at),
                    "ends_at": serialize.instant(c.ends_at),
                    "detail": c.detail,
                    "other_specialty": codes.get(c.other_specialty_id) if c.other_specialty_id else None,
                }
                for c in report.conflicts
            ],
        }
    )


@blueprint.get("/openapi.json")
def openapi_document():
    """This API described in OpenAPI 3.1 (no token needed)."""
    from api.openapi import document

    return jsonify(document())
