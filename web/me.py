"""A senior's own page: their duty, swaps (ask, answer, cancel), leave, phone numbers and iCal link.

Leave a senior declares is in force at once (the rota has no approval step for leave), so it is refused
when it would leave a specialty without a primary: then their head must arrange cover.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import or_, select
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from accounts import operations as accounts_operations
from accounts.access import Target
from accounts.models import User
from accounts.scope import senior_ids_of_departments
from api.feeds import calendar_response
from core import clock, db
from rota import operations
from rota import preview as pv
from rota.ical import senior_calendar, senior_specialty_ids
from rota.models import Leave, Senior, Specialty, SwapRequest, SwapStatus
from web import params, previews
from web.editing import RELOAD, act, actor, current_values, fingerprint, submit
from web.formatting import local_datetime
from web.forms import ConfirmForm, EditForm, Form, check_length, local_datetime_field, local_input, options, senior_field, to_instant
from web.i18n import _, language, lazy
from web.my_duty import duties_of
from web.phones_field import PhoneListField
from web.rota_pages import LeaveFields, senior_zone
from web.security import allowed, principal, public, requires, signed_in_user
from web.swaps import STATUS_LABELS

blueprint = Blueprint("me", __name__)
HORIZON = timedelta(days=31)


def own() -> Target:
    """One's own things: the matrix's SELF scope needs an account linked to a senior."""
    who = principal()
    return Target.senior(who.senior_id if who else None)


def swap_counterpart(swap_id: int) -> Target:
    swap = db.session().get(SwapRequest, swap_id)
    if swap is None:
        abort(404)
    return Target.senior(swap.counterpart_id)


def swap_requester(swap_id: int) -> Target:
    swap = db.session().get(SwapRequest, swap_id)
    if swap is None:
        abort(404)
    return Target.senior(swap.requester_id)


def own_leave(leave_id: int) -> Target:
    leave = db.session().get(Leave, leave_id)
    if leave is None:
        abort(404)
    return Target.senior(leave.senior_id)


def _me() -> Senior:
    return db.session().get(Senior, principal().senior_id)


@blueprint.get("/me")
@requires("self.duty", target=own)
def index():
    """My duties for the next month, my swaps and my leave."""
    session = db.session()
    senior = _me()
    zone = senior_zone(senior.id)
    now = clock.now()
    duties = duties_of(session, senior.id, now, now + HORIZON)
    swaps = session.scalars(
        select(SwapRequest)
        .where(
            or_(SwapRequest.requester_id == senior.id, SwapRequest.counterpart_id == senior.id),
            or_(SwapRequest.ends_at > now, SwapRequest.status.in_([SwapStatus.REQUESTED, SwapStatus.ACCEPTED])),
        )
        .order_by(SwapRequest.starts_at)
    ).all()
    leave = session.scalars(select(Leave).where(Leave.senior_id == senior.id, Leave.ends_at > now).order_by(Leave.starts_at)).all()
    names = dict(session.execute(select(Senior.id, Senior.full_name)).all())
    specialties = {s.id: s.name(language()) for s in session.scalars(select(Specialty))}
    mine = senior_specialty_ids(session, senior.id)
    query = select(Specialty).where(Specialty.id.in_(mine or [0])).order_by(Specialty.name_fr)
    rotas = [(s.id, s.name(language())) for s in session.scalars(query) if allowed("rota.view", Target.departments(s.department_id))]
    return render_template(
        "me/index.html",
        rotas=rotas,
        senior=senior,
        duties=duties,
        swaps=swaps,
        leave=leave,
        names=names,
        specialties=specialties,
        zone=zone,
        now=now,
        local_datetime=local_datetime,
        status_labels=STATUS_LABELS,
        leave_fingerprint=lambda leave: fingerprint(operations.leave_values(leave)),
    )


class PhonesForm(EditForm):
    phones = PhoneListField(lazy("My phone numbers"))

    def validate_phones(self, field) -> None:
        if not field.data:
            raise ValidationError(_("At least one number: the hotline rings it."))


@blueprint.route("/me/phones", methods=["GET", "POST"])
@requires("self.phones", target=own)
def phones():
    """My numbers, the first rung first."""
    senior = _me()
    form = (
        PhonesForm()
        if request.method == "POST"
        else PhonesForm(phones=[p.e164 for p in senior.phones], fingerprint=fingerprint(operations.senior_values(senior)))
    )
    status = 200
    if form.validate_on_submit():
        senior_id = senior.id
        done, status = submit(
            form,
            lambda session, who: operations.update_senior(session, who, senior_id, expected=form.fingerprint.data, phones=form.phones.data),
            done=lambda senior: (_("Your numbers are saved."), url_for(".index")),
            current=current_values(Senior, senior_id, operations.senior_values),
            changed=RELOAD,
        )
        if done is not None:
            return done
    return render_template("me/phones.html", form=form), status


@blueprint.route("/me/leave/new", methods=["GET", "POST"])
@requires("self.leave", target=own)
def new_leave():
    """Declare leave; refused if it would leave a specialty without a primary."""
    senior = _me()
    zone = senior_zone(senior.id)
    today = clock.now().astimezone(zone).date()
    form = (
        LeaveFields()
        if request.method == "POST"
        else LeaveFields(
            starts_at=datetime.combine(today + timedelta(days=1), time(0, 0)),
            ends_at=datetime.combine(today + timedelta(days=8), time(0, 0)),
        )
    )
    if form.validate_on_submit():
        starts, ends = to_instant(form.starts_at.data, zone), to_instant(form.ends_at.data, zone)
        # Judged in a session that only reads, before the write (see operations.declare_leave): the
        # reads above end here, so the write holds the database for milliseconds.
        db.session().commit()
        done, status = previews.two_steps(
            form,
            lambda session, who: operations.declare_leave(
                session, who, senior.id, starts, ends, form.reason.data or "", reader=db.read_session()
            ),
            (sorted(senior_specialty_ids(db.session(), senior.id)), *pv.window((starts, ends))),
            lambda leave: (_("Leave added."), url_for(".index")),
            title=_("Declare leave"),
            summary=lambda: [(_("Starts"), local_datetime(starts, zone)), (_("Ends"), local_datetime(ends, zone))],
            zone=zone,
            back=url_for(".index"),
        )
        if done is not None:
            return (done, status) if isinstance(done, str) else done
    return render_template("me/form.html", form=form, title=_("Declare leave"))


@blueprint.post("/me/leave/<int:leave_id>/delete")
@requires("self.leave", target=own_leave)
def delete_leave(leave_id: int):
    """Withdraw my leave before it starts."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    return act(
        lambda session, who: operations.withdraw_leave(session, who, leave_id, expected=form.fingerprint.data),
        done=_("Removed."),
        back=url_for(".index"),
    )


class SwapForm(Form):
    specialty_id = SelectField(lazy("Specialty"), coerce=int, validators=[InputRequired()])
    counterpart_id = senior_field("Colleague asked")
    starts_at = local_datetime_field("My duty from")
    ends_at = local_datetime_field("My duty until")
    return_starts_at = local_datetime_field("In return, I take theirs from", required=False)
    return_ends_at = local_datetime_field("until", required=False)
    note = StringField(lazy("Note"), validators=[Optional(), Length(max=500)])

    def validate_ends_at(self, field) -> None:
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_("Must be after the start."))
        check_length("swap", self.starts_at.data, field.data)

    def validate_return_ends_at(self, field) -> None:
        if bool(field.data) != bool(self.return_starts_at.data):
            raise ValidationError(_("Give both ends of the duty taken in return, or neither."))
        if field.data and self.return_starts_at.data and field.data <= self.return_starts_at.data:
            raise ValidationError(_("Must be after the start."))
        check_length("swap", self.return_starts_at.data, field.data)


@blueprint.route("/me/swaps/new", methods=["GET", "POST"])
@requires("self.swaps", target=own)
def new_swap():
    """Ask a colleague to take part of my duty (and optionally take part of theirs)."""
    session = db.session()
    senior = _me()
    zone = senior_zone(senior.id)
    form = SwapForm()
    ids = senior_specialty_ids(session, senior.id)
    specialties = (
        session.execute(
            select(Specialty.id, Specialty.name_fr, Specialty.department_id).where(Specialty.id.in_(ids)).order_by(Specialty.name_fr)
        ).all()
        if ids
        else []
    )
    form.specialty_id.choices = options([(sid, name) for sid, name, _department in specialties])
    chosen = form.specialty_id.data if request.method == "POST" else request.args.get("specialty", type=int)
    if chosen not in ids:
        chosen = ids[0] if len(ids) == 1 else None
    # Colleagues offered: the active members of the (chosen) specialty's department, never every senior.
    departments = frozenset(d for sid, _name, d in specialties if chosen is None or sid == chosen)
    colleagues = senior_ids_of_departments(session, departments) - {senior.id}
    rows = (
        session.execute(
            select(Senior.id, Senior.full_name).where(Senior.id.in_(colleagues), Senior.active.is_(True)).order_by(Senior.full_name)
        ).all()
        if colleagues
        else []
    )
    form.counterpart_id.choices = options([("", "—"), *rows])
    picks: list[tuple[str, str]] = []
    if request.method == "GET":
        start, end = params.instant_or_none("start"), params.instant_or_none("end")
        if start and end:
            form.starts_at.data = local_input(start, zone)
            form.ends_at.data = local_input(end, zone)
        taken_from, taken_until = params.instant_or_none("return_start"), params.instant_or_none("return_end")
        if taken_from and taken_until:
            form.return_starts_at.data = local_input(taken_from, zone)
            form.return_ends_at.data = local_input(taken_until, zone)
        if chosen is not None:
            form.specialty_id.data = chosen
        if request.args.get("counterpart", type=int) in {sid for sid, _name in rows}:
            form.counterpart_id.data = request.args.get("counterpart", type=int)
        if not (start and end) and chosen is not None:
            picks = _my_duties_to_give(senior.id, chosen, zone)
    if form.validate_on_submit():
        returns = (
            (to_instant(form.return_starts_at.data, zone), to_instant(form.return_ends_at.data, zone))
            if form.return_starts_at.data
            else (None, None)
        )
        done, _status = submit(
            form,
            lambda session, who: operations.request_swap(
                session,
                who,
                form.specialty_id.data,
                senior.id,
                form.counterpart_id.data,
                to_instant(form.starts_at.data, zone),
                to_instant(form.ends_at.data, zone),
                return_starts_at=returns[0],
                return_ends_at=returns[1],
                note=form.note.data or "",
            ),
            done=lambda swap: (_("Swap asked: your colleague sees it on their page."), url_for(".index")),
            fields={"specialty": "specialty_id"},
        )
        if done is not None:
            return done
    return render_template("me/form.html", form=form, title=_("Ask for a swap"), picks=picks)


def _my_duties_to_give(senior_id: int, specialty_id: int, zone) -> list[tuple[str, str]]:
    """My coming duties in the specialty as links that fill in "my duty" and keep what was picked."""
    now = clock.now()
    kept = {key: request.args[key] for key in ("specialty", "counterpart", "return_start", "return_end") if key in request.args}
    links = []
    for duty in duties_of(db.session(), senior_id, now, now + HORIZON):
        if duty.specialty_id != specialty_id:
            continue
        start = max(duty.starts_at, now.replace(second=0, microsecond=0) + timedelta(minutes=1))
        url = url_for(".new_swap", **kept, start=start.isoformat(), end=duty.ends_at.isoformat())
        layer = _("primary") if duty.layer == "primary" else _("backup")
        links.append((url, f"{local_datetime(start, zone)} → {local_datetime(duty.ends_at, zone)} · {layer}"))
    return links


def _answer(swap_id: int, action) -> Response:
    if not Form().validate_on_submit():
        abort(400)
    return act(
        lambda session, who: action(session, who, swap_id, who.senior_id),
        done=lambda swap: _("Done: the swap is now “{status}”.", status=_(STATUS_LABELS[swap.status.value])),
        back=url_for(".index"),
    )


@blueprint.post("/me/swaps/<int:swap_id>/accept")
@requires("self.swaps", target=swap_counterpart)
def accept_swap(swap_id: int):
    """Agree to a colleague's swap (in force at once when the department needs no approval)."""
    return _answer(swap_id, operations.accept_swap)


@blueprint.post("/me/swaps/<int:swap_id>/decline")
@requires("self.swaps", target=swap_counterpart)
def decline_swap(swap_id: int):
    """Decline a colleague's swap."""
    return _answer(swap_id, operations.decline_swap)


@blueprint.post("/me/swaps/<int:swap_id>/cancel")
@requires("self.swaps", target=swap_requester)
def cancel_swap(swap_id: int):
    """Withdraw a swap I asked for, before it is in force."""
    return _answer(swap_id, operations.cancel_swap)


@blueprint.get("/me/calendar")
@requires("self.ical", target=own)
def calendar_link():
    """My iCal link, for the phone's calendar (shown once, when made: only its hash is kept)."""
    user = signed_in_user()
    return render_template("me/calendar.html", url=None, has_link=user.ical_token_hash is not None, form=Form())


@blueprint.post("/me/calendar/new")
@requires("self.ical", target=own)
def new_calendar_link():
    """A new secret link: the old one stops working."""
    session = db.session()
    if not Form().validate_on_submit():
        abort(400)
    user = session.get(User, signed_in_user().id)
    secret = accounts_operations.new_ical_token(session, actor(), user)
    session.commit()
    flash(_("New link made: the previous one no longer works."), "success")
    # Shown in this answer only; a reload does not post again (the browser asks first).
    url = url_for("web.me.ical_feed", token=secret, _external=True)
    return render_template("me/calendar.html", url=url, has_link=True, form=Form())


@blueprint.post("/me/calendar/revoke")
@requires("self.ical", target=own)
def revoke_calendar_link():
    """No link at all."""
    session = db.session()
    if not Form().validate_on_submit():
        abort(400)
    user = session.get(User, signed_in_user().id)
    accounts_operations.revoke_ical_token(session, actor(), user)
    session.commit()
    flash(_("Link removed."), "success")
    return redirect(url_for(".calendar_link"))


@blueprint.get("/ical/<token>.ics")
@public
def ical_feed(token: str):
    """The senior's own feed, the same as a senior's calendar link (:mod:`rota.ical`) in their account's
    language; the secret in the URL is the key."""
    session = db.session()
    user = accounts_operations.user_of_ical_secret(session, token)
    if user is None or user.senior_id is None:
        abort(404)
    return calendar_response(senior_calendar(session, user.senior_id, clock.now(), user.language))
