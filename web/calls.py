"""The call log on the web: every call with its outcome, filtered by local day, specialty and outcome;
each call opens on its attempts (who was rung, in which layer, what came of it) and its timeline.
Administrators and managers read every call, heads the calls of their departments' specialties."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from accounts.access import Target
from calllog.models import Attempt, Call, CallOutcome
from calllog.queries import IN_PROGRESS, CallFilter, call_log, call_with_history
from core import clock, db
from directory.models import GeneralPractitioner
from reports.definitions import LAYER_LABELS, OUTCOME_LABELS, RESULT_LABELS
from rota.models import Senior, Specialty
from web import params
from web.formatting import local_datetime, phone
from web.i18n import _, language, translate
from web.security import requires, visible_departments

blueprint = Blueprint("calls", __name__)
PAGE = 50
OUTCOMES = [o.value for o in CallOutcome] + [IN_PROGRESS]


def hotline_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["SETTINGS"].scheduler.timezone)


def department_of_specialty(specialty_id: int | None) -> Target:
    """What a call or a request belongs to: its specialty's department (none: only those who see all)."""
    if specialty_id is None:
        return Target.of_department_ids(())
    department_id = db.session().scalar(select(Specialty.department_id).where(Specialty.id == specialty_id))
    return Target.of_department_ids([department_id] if department_id is not None else [])


def call_target(call_id: int) -> Target:
    call = db.session().get(Call, call_id)
    if call is None:
        abort(404)
    return department_of_specialty(call.specialty_id)


def visible_specialties(action: str) -> tuple[frozenset[int] | None, list[Specialty]]:
    """The specialty ids a list may show (None: every row, even those without a specialty) and the
    specialties to offer in its filter."""
    visible = visible_departments(action)
    query = select(Specialty).order_by(Specialty.name_fr)
    if visible is not None:
        query = query.where(Specialty.department_id.in_(sorted(visible)))
    specialties = list(db.session().scalars(query))
    return (None if visible is None else frozenset(s.id for s in specialties)), specialties


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A local day as the half-open UTC interval [midnight, next midnight) (23 or 25 hours at DST)."""
    start = datetime.combine(day, datetime.min.time(), zone)
    return start, datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)


def gp_names(ids) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = db.session().execute(select(GeneralPractitioner.id, GeneralPractitioner.full_name).where(GeneralPractitioner.id.in_(wanted)))
    return dict(rows.all())


def caller_label(gp_id: int | None, e164: str | None, names: dict[int, str]) -> str:
    if gp_id is not None and gp_id in names:
        return names[gp_id] + (f" · {phone(e164)}" if e164 else "")
    return phone(e164) if e164 else _("hidden number")


def outcome_label(call: Call) -> str:
    return translate(OUTCOME_LABELS[call.outcome.value if call.outcome else IN_PROGRESS])


def seconds(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds()


@blueprint.get("/calls")
@requires("calls.view")
def index():
    """The calls of a local day (today by default), newest first; filters by specialty and outcome."""
    zone = hotline_zone()
    today = clock.now().astimezone(zone).date()
    day = params.day("day", today)
    specialty_id = params.optional_id("specialty")
    outcome = (request.args.get("outcome") or "").strip() or None
    if outcome is not None and outcome not in OUTCOMES:
        raise params.BadParameter(_("“{name}” must be one of the values offered in the list.", name="outcome"))
    page = params.page_number()
    allowed_ids, specialties = visible_specialties("calls.view")
    if specialty_id is not None and allowed_ids is not None and specialty_id not in allowed_ids:
        specialty_id = -1  # someone else's specialty: nothing to show, and no hint that it exists
    since, until = day_bounds(day, zone)
    wanted = CallFilter(allowed_ids, since, until, specialty_id, outcome)
    rows, total = call_log(db.session(), wanted, limit=PAGE, offset=(page - 1) * PAGE)
    names = gp_names(c.gp_id for c in rows)
    specialty_names = {s.id: s.name(language()) for s in specialties}
    filters = {"day": day.isoformat(), "specialty": specialty_id if specialty_id and specialty_id > 0 else None, "outcome": outcome}
    return render_template(
        "calls/index.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, (total + PAGE - 1) // PAGE),
        day=day,
        previous_day=(day - timedelta(days=1)).isoformat(),
        next_day=(day + timedelta(days=1)).isoformat() if day < today else None,
        specialties=specialties,
        specialty_names=specialty_names,
        filters=filters,
        outcomes=[(o, translate(OUTCOME_LABELS[o])) for o in OUTCOMES],
        caller=lambda c: caller_label(c.gp_id, c.caller_e164, names),
        outcome_label=outcome_label,
        seconds=seconds,
        zone=zone,
        local_datetime=local_datetime,
    )


@dataclass(frozen=True)
class Moment:
    """One line of a call's timeline."""

    at: datetime
    offset: float  # seconds since the call started
    text: str
    kind: str  # for the page's marker: call, ring, answer, connect, miss, callback, end


def timeline(call: Call, seniors: dict[int, str]) -> list[Moment]:
    """What happened, in order, from the call log's own instants (Twilio's reports fill them in)."""
    moments: list[tuple[datetime, str, str]] = [(call.started_at, _("The GP's call reaches the hotline"), "call")]

    def who(attempt: Attempt) -> str:
        return seniors.get(attempt.senior_id, "") if attempt.senior_id is not None else _("a senior")

    for a in call.attempts:
        layer = translate(LAYER_LABELS.get(a.layer, a.layer))
        moments.append((a.started_at, _("Ringing {who} ({layer})", who=who(a), layer=layer), "ring"))
        if a.ringing_at:
            moments.append((a.ringing_at, _("{who}'s phone rings", who=who(a)), "ring"))
        if a.answered_at:
            moments.append((a.answered_at, _("{who} picks up and hears who is calling", who=who(a)), "answer"))
        if a.accepted_at:
            moments.append((a.accepted_at, _("{who} presses 1: the GP is put through", who=who(a)), "connect"))
        if a.ended_at and a.result is not None and a.result.value != "accepted":
            result = translate(RESULT_LABELS[a.result.value])
            moments.append((a.ended_at, _("{who}: {result}", who=who(a), result=result), "miss"))
    if call.switchboard_at:
        moments.append((call.switchboard_at, _("Sent to the switchboard"), "end"))
    if call.callback is not None:
        request_ = call.callback
        moments.append((request_.requested_at, _("The GP is offered a callback and leaves a request"), "callback"))
        if request_.acknowledged_at:
            name = seniors.get(request_.acknowledged_by_senior_id or 0, _("a senior"))
            moments.append((request_.acknowledged_at, _("{who} takes the callback request", who=name), "callback"))
        if request_.done_at:
            name = seniors.get(request_.done_by_senior_id or 0)
            text = _("Called back by {who}", who=name) if name else _("Callback request marked done")
            moments.append((request_.done_at, text, "callback"))
    if call.ended_at:
        moments.append((call.ended_at, _("The GP's call ends: {outcome}", outcome=outcome_label(call)), "end"))
    moments.sort(key=lambda m: m[0])
    return [Moment(at, (at - call.started_at).total_seconds(), text, kind) for at, text, kind in moments]


@blueprint.get("/calls/<int:call_id>")
@requires("calls.view", target=call_target)
def detail(call_id: int):
    """One call: who called, the specialty chosen, every senior rung and the timeline."""
    found = call_with_history(db.session(), call_id)
    if found is None:
        abort(404)
    call, events = found
    session = db.session()
    ids = [a.senior_id for a in call.attempts]
    if call.callback is not None:
        ids += [call.callback.acknowledged_by_senior_id, call.callback.done_by_senior_id]
    wanted = sorted({i for i in ids if i is not None})
    seniors = dict(session.execute(select(Senior.id, Senior.full_name).where(Senior.id.in_(wanted))).all()) if wanted else {}
    specialty = session.get(Specialty, call.specialty_id) if call.specialty_id else None
    legs = {a.child_sid: a for a in call.attempts if a.child_sid}
    names = gp_names([call.gp_id])
    return render_template(
        "calls/detail.html",
        call=call,
        specialty=specialty,
        seniors=seniors,
        caller=caller_label(call.gp_id, call.caller_e164, names),
        outcome=outcome_label(call),
        moments=timeline(call, seniors),
        events=[(e, legs.get(e.call_sid)) for e in events],
        layer_label=lambda layer: translate(LAYER_LABELS.get(layer, layer)),
        result_label=lambda r: translate(RESULT_LABELS[r.value if r else IN_PROGRESS]),
        seconds=seconds,
        zone=hotline_zone(),
        local_datetime=local_datetime,
    )
