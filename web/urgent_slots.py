"""Urgent slots on the web: the secretariat's desk (today's and tomorrow's slots, who booked them and
the code; "the patient called with the code" or cancel) and a specialty's slot patterns and one-offs
(heads). Every change is one call to :mod:`slots.operations`."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import IntegerField, StringField
from wtforms.fields import DateField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from accounts.access import Target
from core import clock, db
from rota.models import Department, Senior, Specialty
from slots import operations
from slots.models import SlotBooking, SlotPattern, SlotStatus, UrgentSlot
from slots.operations import pattern_values, slot_values
from web.editing import act, current_values, submit
from web.formatting import local_day, local_time
from web.forms import EditForm, Form, local_datetime_field, to_instant, within_planned_dates
from web.i18n import N_, _, lazy
from web.security import requires, visible_departments

blueprint = Blueprint("slots", __name__)

STATUS_LABELS = {
    "open": N_("free for the seniors"),
    "booked": N_("booked"),
    "confirmed": N_("confirmed: the patient called"),
    "released": N_("released: yours to give to any patient"),
}


def specialty_target(specialty_id: int) -> Target:
    specialty = db.session().get(Specialty, specialty_id)
    if specialty is None:
        abort(404)
    return Target.departments(specialty.department_id)


def pattern_target(pattern_id: int) -> Target:
    pattern = db.session().get(SlotPattern, pattern_id)
    if pattern is None:
        abort(404)
    return Target.departments(pattern.specialty.department_id)


def slot_target(slot_id: int) -> Target:
    slot = db.session().get(UrgentSlot, slot_id)
    if slot is None:
        abort(404)
    return Target.departments(slot.specialty.department_id)


def booking_target(booking_id: int) -> Target:
    booking = db.session().get(SlotBooking, booking_id)
    if booking is None:
        abort(404)
    return Target.departments(booking.slot.specialty.department_id)


# -- the secretariat's desk ------------------------------------------------------------------------


class CodeForm(Form):
    code = StringField(lazy("Code given by the patient"), validators=[InputRequired(), Length(max=20)], render_kw={"autocomplete": "off"})


def _day_bounds(zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    from rota.patterns import instant

    today = now.astimezone(zone).date()
    return instant(today, datetime.min.time(), zone), instant(today + timedelta(days=2), datetime.min.time(), zone)


def _desk_departments() -> list[Department]:
    visible = visible_departments("slots.desk")
    query = select(Department).order_by(Department.name)
    if visible is not None:
        query = query.where(Department.id.in_(list(visible)))
    return list(db.session().scalars(query))


@blueprint.get("/urgent-slots")
@requires("slots.desk")
def desk():
    """Today's and tomorrow's urgent slots of the user's departments: booked ones with the GP and the
    code, released ones to give to any patient, free ones still bookable by the seniors."""
    session = db.session()
    now = clock.now()
    days = []
    for department in _desk_departments():
        zone = ZoneInfo(department.timezone)
        start, end = _day_bounds(zone, now)
        found = session.scalars(
            select(UrgentSlot)
            .join(Specialty, Specialty.id == UrgentSlot.specialty_id)
            .where(Specialty.department_id == department.id, UrgentSlot.starts_at >= start, UrgentSlot.starts_at < end)
            .options(selectinload(UrgentSlot.bookings), selectinload(UrgentSlot.specialty))
            .order_by(UrgentSlot.starts_at, Specialty.name_fr)
        ).all()
        by_day: dict = {}
        for slot in found:
            by_day.setdefault(slot.starts_at.astimezone(zone).date(), []).append(slot)
        specialties = session.scalars(select(Specialty).where(Specialty.department_id == department.id).order_by(Specialty.name_fr)).all()
        days.append((department, zone, sorted(by_day.items()), specialties))
    seniors = dict(session.execute(select(Senior.id, Senior.full_name)).all())
    return render_template(
        "slots/desk.html",
        departments=days,
        seniors=seniors,
        form=CodeForm(),
        status_labels=STATUS_LABELS,
        local_time=local_time,
        local_day=local_day,
        gp_label=lambda booking: operations.gp_label(session, booking, _language()),
    )


def _language() -> str:
    from web.i18n import language

    return language()


@blueprint.post("/urgent-slots/confirm")
@requires("slots.desk")
def confirm_code():
    """The patient calls with the code the GP gave them: the slot is theirs."""
    form = CodeForm()
    if not form.validate_on_submit():
        abort(400)
    return act(
        lambda session, who: operations.confirm_booking(session, who, form.code.data),
        done=lambda booking: _("Code {code} confirmed: the slot is the patient's.", code=booking.code),
        back=url_for(".desk"),
    )


@blueprint.post("/urgent-slots/bookings/<int:booking_id>/confirm")
@requires("slots.desk", target=booking_target)
def confirm(booking_id: int):
    """Confirm one booking from the desk's list."""
    if not Form().validate_on_submit():
        abort(400)
    code = db.session().get(SlotBooking, booking_id).code
    return act(
        lambda session, who: operations.confirm_booking(session, who, code),
        done=lambda booking: _("Code {code} confirmed: the slot is the patient's.", code=booking.code),
        back=url_for(".desk"),
    )


@blueprint.post("/urgent-slots/bookings/<int:booking_id>/cancel")
@requires("slots.desk", target=booking_target)
def cancel(booking_id: int):
    """Cancel a booking: the slot is free again (or released after its cut-off); the GP is told by SMS."""
    if not Form().validate_on_submit():
        abort(400)
    code = db.session().get(SlotBooking, booking_id).code
    settings = _settings()
    return act(
        lambda session, who: operations.cancel_booking(session, who, code, by="secretariat", settings=settings),
        done=lambda booking: _("Booking {code} cancelled; the GP is told by SMS.", code=booking.code),
        back=url_for(".desk"),
    )


def _settings():
    from flask import current_app

    return current_app.config["SETTINGS"]


# -- a specialty's patterns and one-offs (heads) ----------------------------------------------------


class PatternForm(EditForm):
    weekdays = StringField(lazy("Days (1 = Monday … 7 = Sunday)"), default="12345", validators=[InputRequired(), Length(max=20)])
    times = StringField(lazy("Start times"), validators=[InputRequired(), Length(max=200)])
    duration_minutes = IntegerField(lazy("Length (minutes)"), default=30, validators=[InputRequired(), NumberRange(min=5, max=480)])
    place = StringField(lazy("Place (where the patient goes)"), validators=[InputRequired(), Length(max=200)])
    cutoff_minutes = IntegerField(
        lazy("Booking closes (minutes before)"), default=120, validators=[InputRequired(), NumberRange(min=0, max=10080)]
    )
    valid_from = DateField(lazy("From"), validators=[Optional(), within_planned_dates])
    valid_until = DateField(lazy("Until (included)"), validators=[Optional(), within_planned_dates])


class OneOffForm(Form):
    starts_at = local_datetime_field("Starts at")
    duration_minutes = IntegerField(lazy("Length (minutes)"), default=30, validators=[InputRequired(), NumberRange(min=5, max=480)])
    place = StringField(lazy("Place (where the patient goes)"), validators=[InputRequired(), Length(max=200)])
    cutoff_minutes = IntegerField(
        lazy("Booking closes (minutes before)"), default=120, validators=[InputRequired(), NumberRange(min=0, max=10080)]
    )


def _pattern_settings(form: PatternForm) -> operations.PatternSettings:
    return operations.PatternSettings(
        weekdays=form.weekdays.data,
        times=form.times.data,
        place=form.place.data,
        duration_minutes=form.duration_minutes.data,
        cutoff_minutes=form.cutoff_minutes.data,
        valid_from=form.valid_from.data,
        valid_until=form.valid_until.data,
    )


def _manage_page(specialty: Specialty, pattern_form: PatternForm, one_off_form: OneOffForm, status: int = 200):
    session = db.session()
    zone = ZoneInfo(specialty.department.timezone)
    now = clock.now()
    patterns = session.scalars(select(SlotPattern).where(SlotPattern.specialty_id == specialty.id).order_by(SlotPattern.id)).all()
    upcoming = session.scalars(
        select(UrgentSlot)
        .where(UrgentSlot.specialty_id == specialty.id, UrgentSlot.ends_at > now, UrgentSlot.starts_at < now + operations.HORIZON)
        .options(selectinload(UrgentSlot.bookings))
        .order_by(UrgentSlot.starts_at)
    ).all()
    return render_template(
        "slots/manage.html",
        specialty=specialty,
        zone=zone,
        patterns=patterns,
        upcoming=upcoming,
        pattern_form=pattern_form,
        one_off_form=one_off_form,
        fingerprints={p.id: operations_fingerprint(pattern_values(p)) for p in patterns},
        slot_fingerprints={s.id: operations_fingerprint(slot_values(s)) for s in upcoming},
        status_labels=STATUS_LABELS,
        local_time=local_time,
        local_day=local_day,
        SlotStatus=SlotStatus,
    ), status


def operations_fingerprint(values: dict) -> str:
    from core.concurrency import fingerprint

    return fingerprint(values)


@blueprint.get("/specialties/<int:specialty_id>/urgent-slots")
@requires("slots.manage", target=specialty_target)
def manage(specialty_id: int):
    """A specialty's urgent slot patterns, one-offs and the slots of the next fortnight."""
    specialty = db.session().get(Specialty, specialty_id)
    return _manage_page(specialty, PatternForm(formdata=None, fingerprint="new"), OneOffForm(formdata=None))


@blueprint.post("/specialties/<int:specialty_id>/urgent-slots/patterns")
@requires("slots.manage", target=specialty_target)
def add_pattern(specialty_id: int):
    """A new recurring set of urgent slots ("11:30, 16:30" on weekdays)."""
    specialty = db.session().get(Specialty, specialty_id)
    form = PatternForm()
    if form.validate_on_submit():
        done, _status = submit(
            form,
            lambda session, who: operations.add_pattern(session, who, specialty_id, _pattern_settings(form)),
            done=lambda pattern: (_("Urgent slots published."), url_for(".manage", specialty_id=specialty_id)),
        )
        if done is not None:
            return done
    return _manage_page(specialty, form, OneOffForm(formdata=None))


@blueprint.route("/urgent-slot-patterns/<int:pattern_id>/edit", methods=["GET", "POST"])
@requires("slots.manage", target=pattern_target)
def edit_pattern(pattern_id: int):
    """Change a pattern: its free future slots are published again; booked ones keep their booking."""
    pattern = db.session().get(SlotPattern, pattern_id)
    specialty_id = pattern.specialty_id
    if request.method == "POST":
        form = PatternForm()
    else:
        form = PatternForm(
            formdata=None,
            obj=pattern,
            times=", ".join(pattern.times.split(",")),
            fingerprint=operations_fingerprint(pattern_values(pattern)),
        )
    status = 200
    if form.validate_on_submit():
        done, status = submit(
            form,
            lambda session, who: operations.update_pattern(
                session, who, pattern_id, _pattern_settings(form), expected=form.fingerprint.data
            ),
            done=lambda pattern: (_("Urgent slots published."), url_for(".manage", specialty_id=specialty_id)),
            current=current_values(SlotPattern, pattern_id, pattern_values),
            back=url_for(".manage", specialty_id=specialty_id),
        )
        if done is not None:
            return done
    return render_template("slots/pattern_form.html", form=form, specialty=pattern.specialty), status


@blueprint.post("/urgent-slot-patterns/<int:pattern_id>/delete")
@requires("slots.manage", target=pattern_target)
def delete_pattern(pattern_id: int):
    """Stop a pattern: its free future slots go, booked ones stay."""
    form = EditForm()
    if not form.validate_on_submit():
        abort(400)
    specialty_id = db.session().get(SlotPattern, pattern_id).specialty_id
    return act(
        lambda session, who: operations.remove_pattern(session, who, pattern_id, expected=form.fingerprint.data),
        done=_("Pattern removed; its free slots are withdrawn."),
        back=url_for(".manage", specialty_id=specialty_id),
    )


@blueprint.post("/specialties/<int:specialty_id>/urgent-slots/one-off")
@requires("slots.manage", target=specialty_target)
def add_one_off(specialty_id: int):
    """One extra urgent slot."""
    specialty = db.session().get(Specialty, specialty_id)
    zone = ZoneInfo(specialty.department.timezone)
    form = OneOffForm()
    if form.validate_on_submit():
        done, _status = submit(
            form,
            lambda session, who: operations.add_one_off(
                session,
                who,
                specialty_id,
                to_instant(form.starts_at.data, zone),
                place=form.place.data,
                duration_minutes=form.duration_minutes.data,
                cutoff_minutes=form.cutoff_minutes.data,
            ),
            done=lambda slot: (_("Urgent slot added."), url_for(".manage", specialty_id=specialty_id)),
        )
        if done is not None:
            return done
    return _manage_page(specialty, PatternForm(formdata=None, fingerprint="new"), form)


@blueprint.post("/urgent-slots/<int:slot_id>/delete")
@requires("slots.manage", target=slot_target)
def delete_slot(slot_id: int):
    """Withdraw a slot nobody holds."""
    form = EditForm()
    if not form.validate_on_submit():
        abort(400)
    specialty_id = db.session().get(UrgentSlot, slot_id).specialty_id
    return act(
        lambda session, who: operations.remove_slot(session, who, slot_id, expected=form.fingerprint.data),
        done=_("Urgent slot withdrawn."),
        back=url_for(".manage", specialty_id=specialty_id),
    )


def home_for_secretariat():
    """Where "/" leads a secretariat account (it sees nothing else)."""
    return redirect(url_for("web.slots.desk"))
