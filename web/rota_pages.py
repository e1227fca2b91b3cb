"""A specialty's rota: the week and month calendars, and the forms that change rotations, single shifts,
overrides and leave. Every change is audited and checked against concurrent edits."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms import BooleanField, FieldList, IntegerField, SelectField, StringField
from wtforms.fields import DateField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from accounts.access import Target
from accounts.scope import departments_of_senior, senior_ids_of_departments
from core import clock, db
from rota import operations
from rota import preview as pv
from rota.ical import senior_specialty_ids
from rota.models import DutyOverride, DutySlot, Leave, Rotation, Senior, Specialty
from rota.precedence import MAX_SINGLE_SHIFT
from web import calendar, params, previews
from web.editing import act, current_values, fingerprint
from web.editing import refusal_message as editing_message
from web.formatting import local_datetime, local_day
from web.forms import (
    ConfirmForm,
    EditForm,
    Form,
    MultiCheckboxField,
    check_length,
    local_datetime_field,
    local_input,
    options,
    senior_field,
    to_instant,
    within_planned_dates,
)
from web.i18n import N_, LazyWeekday, _, language, lazy, month_name, weekday_name
from web.security import allowed, principal, requires

blueprint = Blueprint("rota_pages", __name__)

LAYER_CHOICES = options([("primary", lazy("Primary")), ("backup", lazy("Backup"))])
WEEKDAY_CHOICES = options((i, LazyWeekday(i)) for i in range(1, 8))


# -- what a URL is about ------------------------------------------------------------------------------


def _get(model, object_id: int):
    row = db.session().get(model, object_id)
    if row is None:
        abort(404)
    return row


def specialty_target(specialty_id: int) -> Target:
    return Target.departments(_get(Specialty, specialty_id).department_id)


def rotation_target(rotation_id: int) -> Target:
    return specialty_target(_get(Rotation, rotation_id).specialty_id)


def shift_target(shift_id: int) -> Target:
    return specialty_target(_get(DutySlot, shift_id).specialty_id)


def override_target(override_id: int) -> Target:
    return specialty_target(_get(DutyOverride, override_id).specialty_id)


def senior_target(senior_id: int) -> Target:
    _get(Senior, senior_id)
    return Target.senior_record(departments_of_senior(db.session(), senior_id))


def leave_target(leave_id: int) -> Target:
    return senior_target(_get(Leave, leave_id).senior_id)


def _zone(specialty: Specialty) -> ZoneInfo:
    return ZoneInfo(specialty.department.timezone)


def senior_choices(blank: bool = False) -> list:
    rows = db.session().execute(select(Senior.id, Senior.full_name, Senior.active).order_by(Senior.full_name)).all()
    choices: list[tuple[int | str, str]] = [("", "—")] if blank else []
    choices += [(sid, name if active else f"{name} ({_('inactive')})") for sid, name, active in rows]
    return options(choices)


# -- a row in words (a deletion to confirm, someone else's version) ------------------------------------


def _layer_label(layer) -> str:
    return _("Primary") if getattr(layer, "value", layer) == "primary" else _("Backup")


def described(row, zone: ZoneInfo) -> list[tuple[str, str]]:
    """A rotation, shift, override or leave as a person reads it: (label, value) pairs, local times."""
    session = db.session()

    def name(senior_id: int | None) -> str:
        return session.scalar(select(Senior.full_name).where(Senior.id == senior_id)) or "—" if senior_id else "—"

    if isinstance(row, Rotation):
        lines = [
            (_("Name"), row.name),
            (_("Layer"), _layer_label(row.layer)),
            (_("Days a duty starts on"), ", ".join(weekday_name(date(2026, 1, 4 + int(d))) for d in row.weekdays)),
            (_("Hours"), f"{row.start_time:%H:%M}–{row.end_time:%H:%M}"),
            (_("Seniors in turn"), " → ".join(name(m.senior_id) for m in row.members)),
            (_("In force from"), local_datetime(row.valid_from, zone)),
        ]
        return lines + ([(_("In force until"), local_datetime(row.valid_until, zone))] if row.valid_until else [])
    if isinstance(row, DutySlot):
        return [
            (_("Senior"), name(row.senior_id)),
            (_("Layer"), _layer_label(row.layer)),
            (_("Starts"), local_datetime(row.starts_at, zone)),
            (_("Ends"), local_datetime(row.ends_at, zone)),
        ]
    if isinstance(row, DutyOverride):
        lines = [
            (_("Senior replaced"), name(row.replaced_senior_id)),
            (_("Replaced by"), name(row.replacing_senior_id)),
            (_("Starts"), local_datetime(row.starts_at, zone)),
            (_("Ends"), local_datetime(row.ends_at, zone)),
        ]
        return lines + ([(_("Note"), row.note)] if row.note else [])
    lines = [
        (_("Senior"), name(row.senior_id)),
        (_("Starts"), local_datetime(row.starts_at, zone)),
        (_("Ends"), local_datetime(row.ends_at, zone)),
    ]
    return lines + ([(_("Reason"), row.reason)] if row.reason else [])


def _their_version(model, object_id: int, status: int, zone: ZoneInfo) -> list[tuple[str, str]] | None:
    """After a 409: the row as the other person saved it (the form below keeps what *you* typed)."""
    if status != 409:
        return None
    db.session().expire_all()
    row = db.session().get(model, object_id)
    return None if row is None else described(row, zone)


# -- calendars ----------------------------------------------------------------------------------------


def _entries(specialty: Specialty, start: datetime, end: datetime) -> dict:
    """The rows behind a period of the calendar, for their edit links."""
    session = db.session()
    rotations = session.scalars(
        select(Rotation).where(Rotation.specialty_id == specialty.id).order_by(Rotation.layer, Rotation.valid_from, Rotation.id)
    ).all()
    shifts = session.scalars(
        select(DutySlot)
        .where(
            DutySlot.specialty_id == specialty.id,
            DutySlot.starts_at < end,
            DutySlot.ends_at > start,
            DutySlot.starts_at > start - MAX_SINGLE_SHIFT,
        )
        .order_by(DutySlot.starts_at, DutySlot.id)
    ).all()
    overrides = session.scalars(
        select(DutyOverride)
        .where(DutyOverride.specialty_id == specialty.id, DutyOverride.starts_at < end, DutyOverride.ends_at > start)
        .order_by(DutyOverride.starts_at)
    ).all()
    seniors = {m.senior_id for r in rotations for m in r.members} | {s.senior_id for s in shifts}
    seniors |= {o.replacing_senior_id for o in overrides} | {o.replaced_senior_id for o in overrides}
    leave = (
        session.scalars(
            select(Leave).where(Leave.senior_id.in_(seniors), Leave.starts_at < end, Leave.ends_at > start).order_by(Leave.starts_at)
        ).all()
        if seniors
        else []
    )
    names = dict(session.execute(select(Senior.id, Senior.full_name)).all())
    return {"rotations": rotations, "shifts": shifts, "overrides": overrides, "leave": leave, "names": names}


def _swap_picker(specialty: Specialty, can_edit: bool):
    """On a read-only calendar, a senior who holds places in the specialty picks a duty to ask for a swap:
    their own (to give it) or a colleague's of the specialty's department (to take it in return). A
    function ``(segment, person) -> (url, words) | None`` for the templates; None when nothing is picked."""
    who = principal()
    if can_edit or who is None or who.senior_id is None or not allowed("self.swaps"):
        return None
    session = db.session()
    if specialty.id not in senior_specialty_ids(session, who.senior_id):
        return None
    me = who.senior_id
    colleagues = senior_ids_of_departments(session, frozenset({specialty.department_id})) - {me}
    soon = clock.now().replace(second=0, microsecond=0) + timedelta(minutes=1)

    def pick(segment: calendar.Segment, person) -> tuple[str, str] | None:
        if segment.gap or segment.starts_at is None or segment.ends_at is None or segment.ends_at <= soon:
            return None
        start, end = max(segment.starts_at, soon).isoformat(), segment.ends_at.isoformat()
        if person.senior_id == me:
            return url_for("web.me.new_swap", specialty=specialty.id, start=start, end=end), _("offer this duty")
        if person.senior_id in colleagues:
            url = url_for("web.me.new_swap", specialty=specialty.id, counterpart=person.senior_id, return_start=start, return_end=end)
            return url, _("ask them for a swap")
        return None

    return pick


def _calendar_context(specialty: Specialty, first: date, last: date) -> dict:
    zone = _zone(specialty)
    cal = calendar.build(db.session(), specialty.id, zone, first, last)
    start, end = calendar.day_start(first, zone), calendar.day_start(last + timedelta(days=1), zone)
    can_edit = allowed("rota.edit", Target.departments(specialty.department_id))
    return {
        "specialty": specialty,
        "zone": zone,
        "cal": cal,
        "today": clock.now().astimezone(zone).date(),
        "can_edit": can_edit,
        "picker": _swap_picker(specialty, can_edit),
        "weekday_name": weekday_name,
        "month_name": month_name,
        "local_day": local_day,
        "local_datetime": local_datetime,
        "weekdays_label": lambda text: ", ".join(weekday_name(date(2026, 1, 4 + int(d))) for d in text),
        **_entries(specialty, start, end),
    }


@blueprint.get("/specialties/<int:specialty_id>/week")
@requires("rota.view", target=specialty_target)
def week(specialty_id: int):
    """Seven days of the specialty's rota, primary and backup layers, gaps and conflicts marked."""
    specialty = _get(Specialty, specialty_id)
    today = clock.now().astimezone(_zone(specialty)).date()
    first = calendar.monday_of(params.day("start", today))
    context = _calendar_context(specialty, first, first + timedelta(days=6))
    return render_template(
        "rota/week.html", first=first, previous=first - timedelta(days=7), following=first + timedelta(days=7), **context
    )


@blueprint.get("/specialties/<int:specialty_id>/month")
@requires("rota.view", target=specialty_target)
def month(specialty_id: int):
    """A month of the specialty's rota as a calendar grid."""
    specialty = _get(Specialty, specialty_id)
    today = clock.now().astimezone(_zone(specialty)).date()
    shown = params.month("month", today.replace(day=1))
    first, last = calendar.month_grid(shown.year, shown.month)
    previous = (shown - timedelta(days=1)).replace(day=1)
    following = (shown + timedelta(days=32)).replace(day=1)
    context = _calendar_context(specialty, first, last)
    days = context["cal"].days
    context["weeks"] = [days[i : i + 7] for i in range(0, len(days), 7)]
    return render_template("rota/month.html", shown=shown, previous=previous, following=following, **context)


# -- forms ------------------------------------------------------------------------------------------


class RotationForm(EditForm):
    name = StringField(lazy("Name"), validators=[InputRequired(), Length(max=120)])
    layer = SelectField(lazy("Layer"), choices=LAYER_CHOICES)
    weekdays = MultiCheckboxField(lazy("Days a duty starts on"), choices=WEEKDAY_CHOICES, coerce=int)
    start_time = TimeField(lazy("Starts at"), validators=[InputRequired()])
    end_time = TimeField(lazy("Ends at"), validators=[InputRequired()])
    turn_days = IntegerField(lazy("Days per turn"), default=7, validators=[InputRequired(), NumberRange(min=1, max=366)])
    handoff_time = TimeField(lazy("Handover time"), validators=[Optional()])
    anchor_date = DateField(lazy("First turn starts on"), validators=[InputRequired(), within_planned_dates])
    members = FieldList(senior_field("Turn", required=False), min_entries=1, max_entries=40)
    valid_from = local_datetime_field("In force from")
    valid_until = local_datetime_field("In force until", required=False)

    def validate_weekdays(self, field) -> None:
        if not field.data:
            raise ValidationError(_("Choose at least one day."))

    def validate_members(self, field) -> None:
        chosen = [entry.data for entry in field.entries if entry.data]
        if not chosen:
            raise ValidationError(_("Choose at least one senior."))

    def validate_valid_until(self, field) -> None:
        if field.data and self.valid_from.data and field.data <= self.valid_from.data:
            raise ValidationError(_("Must be after the start."))


class ConfirmableForm(EditForm):
    """A change :mod:`rota.rules` may ask to confirm: the box shows only with the finding's message."""

    confirm = BooleanField(lazy("I have checked: save it as it is"))
    needs_confirm = False


class ShiftForm(ConfirmableForm):
    senior_id = senior_field("Senior")
    layer = SelectField(lazy("Layer"), choices=LAYER_CHOICES)
    starts_at = local_datetime_field("Starts")
    ends_at = local_datetime_field("Ends")

    def validate_ends_at(self, field) -> None:
        if field.data and self.starts_at.data:
            if field.data <= self.starts_at.data:
                raise ValidationError(_("Must be after the start."))
            if field.data - self.starts_at.data > MAX_SINGLE_SHIFT:
                raise ValidationError(_("A single shift lasts at most {days} days: use a rotation.", days=MAX_SINGLE_SHIFT.days))


class OverrideForm(ConfirmableForm):
    replaced_id = senior_field("Senior replaced")
    replacing_id = senior_field("Replaced by")
    starts_at = local_datetime_field("Starts")
    ends_at = local_datetime_field("Ends")
    note = StringField(lazy("Note"), validators=[Optional(), Length(max=500)])

    def validate_replacing_id(self, field) -> None:
        if field.data is not None and field.data == self.replaced_id.data:
            raise ValidationError(_("A senior cannot replace themselves."))

    def validate_ends_at(self, field) -> None:
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_("Must be after the start."))
        check_length("override", self.starts_at.data, field.data)


class LeaveFields(Form):
    """A stretch of leave, as typed; also what a senior fills in to declare their own."""

    starts_at = local_datetime_field("Starts")
    ends_at = local_datetime_field("Ends")
    reason = StringField(lazy("Reason"), validators=[Optional(), Length(max=120)])

    def validate_ends_at(self, field) -> None:
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_("Must be after the start."))
        check_length("leave", self.starts_at.data, field.data)


class LeaveForm(ConfirmableForm, LeaveFields):
    pass


def _new(form: EditForm) -> EditForm:
    """A creation form: nothing to be stale against."""
    form.fingerprint.data = form.fingerprint.data or "new"
    return form


def _render(template_args: dict, form: Form, title: str, back: str, status: int = 200):
    return render_template("rota/entry_form.html", form=form, title=title, back=back, **template_args), status


def _week_url(specialty_id: int, at: datetime | None = None, zone: ZoneInfo | None = None) -> str:
    if at is not None and zone is not None:
        return url_for("web.rota_pages.week", specialty_id=specialty_id, start=at.astimezone(zone).date().isoformat())
    return url_for("web.rota_pages.week", specialty_id=specialty_id)


# -- rotations --------------------------------------------------------------------------------------


def _rotation_form(specialty: Specialty, rotation: Rotation | None) -> RotationForm:
    zone = _zone(specialty)
    if request.method == "POST":
        form = RotationForm()
    elif rotation is not None:
        form = RotationForm(
            name=rotation.name,
            layer=rotation.layer.value,
            weekdays=[int(d) for d in rotation.weekdays],
            start_time=rotation.start_time,
            end_time=rotation.end_time,
            turn_days=rotation.turn_days,
            handoff_time=rotation.handoff_time,
            anchor_date=rotation.anchor_date,
            members=[m.senior_id for m in rotation.members],
            valid_from=local_input(rotation.valid_from, zone),
            valid_until=local_input(rotation.valid_until, zone),
            fingerprint=fingerprint(operations.rotation_values(rotation)),
        )
    else:
        today = clock.now().astimezone(zone).date()
        form = RotationForm(
            start_time=time(8, 30),
            end_time=time(18, 30),
            weekdays=[1, 2, 3, 4, 5],
            anchor_date=calendar.monday_of(today),
            valid_from=datetime.combine(today, time(0, 0)),
        )
    while len(form.members.entries) < max(3, len([e for e in form.members.entries if e.data]) + 2):
        form.members.append_entry()
    choices = senior_choices(blank=True)
    for index, entry in enumerate(form.members.entries, start=1):
        entry.choices = choices
        entry.label.text = _("Turn {n}", n=index)
    return _new(form) if rotation is None else form


# The form's names for the fields the rota operations name otherwise.
ROTATION_FIELDS = {"start": "start_time", "end": "end_time", "handoff": "handoff_time", "anchor": "anchor_date"}
OVERRIDE_FIELDS = {"replaced_senior_id": "replaced_id", "replacing_senior_id": "replacing_id"}


def _rotation_arguments(form: RotationForm, zone: ZoneInfo) -> dict:
    return {
        "name": form.name.data,
        "layer": form.layer.data,
        "weekdays": "".join(str(d) for d in sorted(form.weekdays.data)),
        "start": form.start_time.data,
        "end": form.end_time.data,
        "members": [entry.data for entry in form.members.entries if entry.data],
        "turn_days": form.turn_days.data,
        "handoff": form.handoff_time.data,
        "anchor": form.anchor_date.data,
        "valid_from": to_instant(form.valid_from.data, zone),
        "valid_until": to_instant(form.valid_until.data, zone) if form.valid_until.data else None,
    }


def _rotation_period(valid_from: datetime, valid_until: datetime | None) -> tuple[datetime, datetime | None]:
    """What a rotation's change is previewed over: from now (or when it starts) on, ``pv.ROTATION_WINDOW``
    when it has no end; a rotation that ended before now is previewed where it was."""
    now = _preview_now()
    if valid_until is not None and valid_until <= now:
        return valid_from, valid_until
    return max(now, valid_from), valid_until


def _preview_now():
    """The "from now" of a preview's window, held still for the day (UTC midnight): the confirmation compares
    the coverage of the same window, which a moving "now" would change between the two requests."""
    return clock.now().replace(hour=0, minute=0, second=0, microsecond=0)


def _rotation_summary(arguments: dict, zone: ZoneInfo) -> list[tuple[str, str]]:
    until = local_datetime(arguments["valid_until"], zone) if arguments["valid_until"] else "—"
    return [
        (_("Name"), arguments["name"]),
        (_("Layer"), _("Primary") if arguments["layer"] == "primary" else _("Backup")),
        (_("Seniors in turn"), " → ".join(_name_of(s) for s in arguments["members"])),
        (_("In force"), f"{local_datetime(arguments['valid_from'], zone)} → {until}"),
    ]


@blueprint.route("/specialties/<int:specialty_id>/rotations/new", methods=["GET", "POST"])
@requires("rota.edit", target=specialty_target)
def new_rotation(specialty_id: int):
    """A recurring duty: days, local hours, seniors taking turns."""
    specialty = _get(Specialty, specialty_id)
    zone = _zone(specialty)
    form = _rotation_form(specialty, None)
    back = _week_url(specialty_id)
    if form.validate_on_submit():
        arguments = _rotation_arguments(form, zone)
        rest = {k: v for k, v in arguments.items() if k not in ("name", "layer")}
        done, status = previews.two_steps(
            form,
            lambda session, who: operations.add_rotation(session, who, specialty_id, arguments["name"], arguments["layer"], **rest),
            ([specialty_id], *pv.window(_rotation_period(arguments["valid_from"], arguments["valid_until"]))),
            lambda rotation: (_("Rotation “{name}” added.", name=rotation.name), back),
            title=_("New rotation — {specialty}", specialty=specialty.name(language())),
            summary=lambda: _rotation_summary(arguments, zone),
            zone=zone,
            back=back,
            fields=ROTATION_FIELDS,
        )
        if done is not None:
            return _answer(done, status)
    return _render(
        {"specialty": specialty, "kind": "rotation"}, form, _("New rotation — {specialty}", specialty=specialty.name(language())), back
    )


@blueprint.route("/rotations/<int:rotation_id>/edit", methods=["GET", "POST"])
@requires("rota.edit", target=rotation_target)
def edit_rotation(rotation_id: int):
    """Change a rotation; refused if someone else changed it since the form was opened."""
    rotation = _get(Rotation, rotation_id)
    specialty = rotation.specialty
    zone = _zone(specialty)
    form = _rotation_form(specialty, rotation)
    back = _week_url(specialty.id)
    status = 200
    if form.validate_on_submit():
        arguments = _rotation_arguments(form, zone)
        new_period = _rotation_period(arguments["valid_from"], arguments["valid_until"])
        periods = (_rotation_period(rotation.valid_from, rotation.valid_until), new_period)
        done, status = previews.two_steps(
            form,
            lambda session, who: operations.update_rotation(session, who, rotation_id, expected=form.fingerprint.data, **arguments),
            ([specialty.id], *pv.window(*periods)),
            lambda row: (_("Rotation “{name}” saved.", name=row.name), back),
            title=_("Rotation “{name}” — {specialty}", name=rotation.name, specialty=specialty.name(language())),
            summary=lambda: _rotation_summary(arguments, zone),
            zone=zone,
            back=back,
            fields=ROTATION_FIELDS,
            current=current_values(Rotation, rotation_id, operations.rotation_values),
        )
        if done is not None:
            return _answer(done, status)
    return _render(
        {
            "specialty": specialty,
            "kind": "rotation",
            "delete_url": url_for(".delete_rotation", rotation_id=rotation_id),
            "current": _their_version(Rotation, rotation_id, status, zone),
        },
        form,
        _("Rotation “{name}” — {specialty}", name=rotation.name, specialty=specialty.name(language())),
        back,
        status,
    )


@blueprint.route("/rotations/<int:rotation_id>/delete", methods=["GET", "POST"])
@requires("rota.edit", target=rotation_target)
def delete_rotation(rotation_id: int):
    """Remove a rotation altogether, once confirmed (to stop it from a date on, set “in force until” instead)."""
    rotation = _get(Rotation, rotation_id)
    return _delete(operations.remove_rotation, rotation, operations.rotation_values, rotation.specialty, _week_url(rotation.specialty_id))


# -- single shifts ----------------------------------------------------------------------------------


def _answer(done, status: int):
    """What :func:`web.previews.two_steps` gave: a redirect, or the preview page with its status."""
    return (done, status) if isinstance(done, str) else done


def _name_of(senior_id: int | None) -> str:
    senior = db.session().get(Senior, senior_id) if senior_id is not None else None
    return senior.full_name if senior is not None else "—"


def _shift_summary(senior_id: int | None, layer: str, starts: datetime, ends: datetime, zone: ZoneInfo) -> list[tuple[str, str]]:
    return [
        (_("Senior"), _name_of(senior_id)),
        (_("Layer"), _("Primary") if layer == "primary" else _("Backup")),
        (_("Starts"), local_datetime(starts, zone)),
        (_("Ends"), local_datetime(ends, zone)),
    ]


def _override_summary(replaced: int | None, replacing: int | None, starts: datetime, ends: datetime, zone: ZoneInfo) -> list:
    return [
        (_("Senior replaced"), _name_of(replaced)),
        (_("Replaced by"), _name_of(replacing)),
        (_("Starts"), local_datetime(starts, zone)),
        (_("Ends"), local_datetime(ends, zone)),
    ]


def _interval_form(form_class, zone: ZoneInfo, row, values_of, **initial):
    if request.method == "POST":
        form = form_class()
    elif row is not None:
        form = form_class(
            starts_at=local_input(row.starts_at, zone),
            ends_at=local_input(row.ends_at, zone),
            fingerprint=fingerprint(values_of(row)),
            **initial,
        )
    else:
        form = form_class(**initial)
    return form


@blueprint.route("/specialties/<int:specialty_id>/shifts/new", methods=["GET", "POST"])
@requires("rota.edit", target=specialty_target)
def new_shift(specialty_id: int):
    """One senior on duty for a stretch of time (up to 8 days), outside any rotation."""
    specialty = _get(Specialty, specialty_id)
    zone = _zone(specialty)
    today = clock.now().astimezone(zone).date()
    form = _new(
        _interval_form(
            ShiftForm,
            zone,
            None,
            operations.shift_values,
            starts_at=datetime.combine(today, time(8, 30)),
            ends_at=datetime.combine(today, time(18, 30)),
        )
    )
    form.senior_id.choices = senior_choices(blank=True)
    back = _week_url(specialty_id)
    if form.validate_on_submit():
        starts, ends = to_instant(form.starts_at.data, zone), to_instant(form.ends_at.data, zone)
        done, status = previews.two_steps(
            form,
            lambda session, who: operations.add_shift(
                session, who, specialty_id, form.senior_id.data, form.layer.data, starts, ends, confirmed=form.confirm.data
            ),
            ([specialty.id], *pv.window((starts, ends))),
            lambda shift: (_("Shift added."), _week_url(specialty_id, starts, zone)),
            title=_("New single shift — {specialty}", specialty=specialty.name(language())),
            summary=lambda: _shift_summary(form.senior_id.data, form.layer.data, starts, ends, zone),
            zone=zone,
            back=back,
        )
        if done is not None:
            return _answer(done, status)
    return _render(
        {"specialty": specialty, "kind": "shift"}, form, _("New single shift — {specialty}", specialty=specialty.name(language())), back
    )


@blueprint.route("/shifts/<int:shift_id>/edit", methods=["GET", "POST"])
@requires("rota.edit", target=shift_target)
def edit_shift(shift_id: int):
    """Change a single shift; refused if someone else changed it since the form was opened."""
    shift = _get(DutySlot, shift_id)
    specialty = shift.specialty
    zone = _zone(specialty)
    form = _interval_form(ShiftForm, zone, shift, operations.shift_values, senior_id=shift.senior_id, layer=shift.layer.value)
    form.senior_id.choices = senior_choices(blank=True)
    back = _week_url(specialty.id, shift.starts_at, zone)
    status = 200
    if form.validate_on_submit():
        starts, ends = to_instant(form.starts_at.data, zone), to_instant(form.ends_at.data, zone)
        done, status = previews.two_steps(
            form,
            lambda session, who: operations.update_shift(
                session,
                who,
                shift_id,
                expected=form.fingerprint.data,
                senior_id=form.senior_id.data,
                layer=form.layer.data,
                starts_at=starts,
                ends_at=ends,
                confirmed=form.confirm.data,
            ),
            ([specialty.id], *pv.window((shift.starts_at, shift.ends_at), (starts, ends))),
            lambda row: (_("Shift saved."), _week_url(specialty.id, row.starts_at, zone)),
            title=_("Single shift — {specialty}", specialty=specialty.name(language())),
            summary=lambda: _shift_summary(form.senior_id.data, form.layer.data, starts, ends, zone),
            zone=zone,
            back=back,
            current=current_values(DutySlot, shift_id, operations.shift_values),
        )
        if done is not None:
            return _answer(done, status)
    return _render(
        {
            "specialty": specialty,
            "kind": "shift",
            "delete_url": url_for(".delete_shift", shift_id=shift_id),
            "current": _their_version(DutySlot, shift_id, status, zone),
        },
        form,
        _("Single shift — {specialty}", specialty=specialty.name(language())),
        back,
        status,
    )


@blueprint.route("/shifts/<int:shift_id>/delete", methods=["GET", "POST"])
@requires("rota.edit", target=shift_target)
def delete_shift(shift_id: int):
    """Remove a single shift, once confirmed; then back to its week."""
    shift = _get(DutySlot, shift_id)
    back = _week_url(shift.specialty_id, shift.starts_at, _zone(shift.specialty))
    return _delete(operations.remove_shift, shift, operations.shift_values, shift.specialty, back)


# -- overrides --------------------------------------------------------------------------------------


@blueprint.route("/specialties/<int:specialty_id>/overrides/new", methods=["GET", "POST"])
@requires("rota.edit", target=specialty_target)
def new_override(specialty_id: int):
    """One senior takes every duty of another for this specialty over a stretch of time."""
    specialty = _get(Specialty, specialty_id)
    zone = _zone(specialty)
    now = local_input(clock.now(), zone)
    form = _new(_interval_form(OverrideForm, zone, None, operations.override_values, starts_at=now, ends_at=now + timedelta(hours=24)))
    form.replaced_id.choices = form.replacing_id.choices = senior_choices(blank=True)
    back = _week_url(specialty_id)
    if form.validate_on_submit():
        starts, ends = to_instant(form.starts_at.data, zone), to_instant(form.ends_at.data, zone)
        done, status = previews.two_steps(
            form,
            lambda session, who: operations.add_override(
                session,
                who,
                specialty_id,
                form.replaced_id.data,
                form.replacing_id.data,
                starts,
                ends,
                form.note.data or "",
                confirmed=form.confirm.data,
            ),
            ([specialty.id], *pv.window((starts, ends))),
            lambda override: (_("Override added."), _week_url(specialty_id, starts, zone)),
            title=_("New override — {specialty}", specialty=specialty.name(language())),
            summary=lambda: _override_summary(form.replaced_id.data, form.replacing_id.data, starts, ends, zone),
            zone=zone,
            back=back,
            fields=OVERRIDE_FIELDS,
        )
        if done is not None:
            return _answer(done, status)
    return _render(
        {"specialty": specialty, "kind": "override"}, form, _("New override — {specialty}", specialty=specialty.name(language())), back
    )


@blueprint.route("/overrides/<int:override_id>/edit", methods=["GET", "POST"])
@requires("rota.edit", target=override_target)
def edit_override(override_id: int):
    """Change an override; refused if someone else changed it since the form was opened."""
    override = _get(DutyOverride, override_id)
    specialty = _get(Specialty, override.specialty_id)
    zone = _zone(specialty)
    form = _interval_form(
        OverrideForm,
        zone,
        override,
        operations.override_values,
        replaced_id=override.replaced_senior_id,
        replacing_id=override.replacing_senior_id,
        note=override.note,
    )
    form.replaced_id.choices = form.replacing_id.choices = senior_choices(blank=True)
    back = _week_url(specialty.id, override.starts_at, zone)
    status = 200
    if form.validate_on_submit():
        starts, ends = to_instant(form.starts_at.data, zone), to_instant(form.ends_at.data, zone)
        done, status = previews.two_steps(
            form,
            lambda session, who: operations.update_override(
                session,
                who,
                override_id,
                expected=form.fingerprint.data,
                replaced_senior_id=form.replaced_id.data,
                replacing_senior_id=form.replacing_id.data,
                starts_at=starts,
                ends_at=ends,
                note=form.note.data or "",
                confirmed=form.confirm.data,
            ),
            ([specialty.id], *pv.window((override.starts_at, override.ends_at), (starts, ends))),
            lambda row: (_("Override saved."), back),
            title=_("Override — {specialty}", specialty=specialty.name(language())),
            summary=lambda: _override_summary(form.replaced_id.data, form.replacing_id.data, starts, ends, zone),
            zone=zone,
            back=back,
            fields=OVERRIDE_FIELDS,
            current=current_values(DutyOverride, override_id, operations.override_values),
        )
        if done is not None:
            return _answer(done, status)
    return _render(
        {
            "specialty": specialty,
            "kind": "override",
            "delete_url": url_for(".delete_override", override_id=override_id),
            "current": _their_version(DutyOverride, override_id, status, zone),
        },
        form,
        _("Override — {specialty}", specialty=specialty.name(language())),
        back,
        status,
    )


@blueprint.route("/overrides/<int:override_id>/delete", methods=["GET", "POST"])
@requires("rota.edit", target=override_target)
def delete_override(override_id: int):
    """Remove an override (not one that is part of an approved swap), once confirmed; then back to its week."""
    override = _get(DutyOverride, override_id)
    specialty = _get(Specialty, override.specialty_id)
    back = _week_url(specialty.id, override.starts_at, _zone(specialty))
    return _delete(operations.remove_override, override, operations.override_values, specialty, back)


# -- leave ------------------------------------------------------------------------------------------


def senior_zone(senior_id: int) -> ZoneInfo:
    """Leave is typed in the local time of the senior's department (Paris when none)."""
    from rota.models import Department

    ids = departments_of_senior(db.session(), senior_id)
    zone = db.session().scalar(select(Department.timezone).where(Department.id.in_(ids)).order_by(Department.id)) if ids else None
    return ZoneInfo(zone or "Europe/Paris")


@blueprint.route("/seniors/<int:senior_id>/leave/new", methods=["GET", "POST"])
@requires("rota.edit", target=senior_target)
def new_leave(senior_id: int):
    """Leave: the senior is never rung over the stretch, for any specialty."""
    senior = _get(Senior, senior_id)
    zone = senior_zone(senior_id)
    today = clock.now().astimezone(zone).date()
    form = _new(
        _interval_form(
            LeaveForm,
            zone,
            None,
            operations.leave_values,
            starts_at=datetime.combine(today, time(0, 0)),
            ends_at=datetime.combine(today + timedelta(days=7), time(0, 0)),
        )
    )
    back = url_for("web.seniors.edit", senior_id=senior_id)
    if form.validate_on_submit():
        starts, ends = to_instant(form.starts_at.data, zone), to_instant(form.ends_at.data, zone)

        def change(session, who):
            return operations.add_leave(session, who, senior_id, starts, ends, form.reason.data or "", confirmed=form.confirm.data)

        scope = (sorted(senior_specialty_ids(db.session(), senior_id)), *pv.window((starts, ends)))
        done, status = previews.two_steps(
            form,
            change,
            scope,
            lambda leave: (_("Leave added."), back),
            title=_("New leave — {name}", name=senior.full_name),
            summary=lambda: [
                (_("Senior"), senior.full_name),
                (_("Starts"), local_datetime(starts, zone)),
                (_("Ends"), local_datetime(ends, zone)),
            ],
            zone=zone,
            back=back,
        )
        if done is not None:
            return done if not isinstance(done, str) else (done, status)
    return _render({"senior": senior, "kind": "leave"}, form, _("New leave — {name}", name=senior.full_name), back)


@blueprint.route("/leave/<int:leave_id>/edit", methods=["GET", "POST"])
@requires("rota.edit", target=leave_target)
def edit_leave(leave_id: int):
    """Change a leave; refused if someone else changed it since the form was opened."""
    leave = _get(Leave, leave_id)
    senior = leave.senior
    zone = senior_zone(senior.id)
    form = _interval_form(LeaveForm, zone, leave, operations.leave_values, reason=leave.reason)
    back = url_for("web.seniors.edit", senior_id=senior.id)
    status = 200
    if form.validate_on_submit():
        starts, ends = to_instant(form.starts_at.data, zone), to_instant(form.ends_at.data, zone)
        done, status = previews.two_steps(
            form,
            lambda session, who: operations.update_leave(
                session,
                who,
                leave_id,
                expected=form.fingerprint.data,
                starts_at=starts,
                ends_at=ends,
                reason=form.reason.data or "",
                confirmed=form.confirm.data,
            ),
            (sorted(senior_specialty_ids(db.session(), senior.id)), *pv.window((leave.starts_at, leave.ends_at), (starts, ends))),
            lambda row: (_("Leave saved."), back),
            title=_("Leave — {name}", name=senior.full_name),
            summary=lambda: [
                (_("Senior"), senior.full_name),
                (_("Starts"), local_datetime(starts, zone)),
                (_("Ends"), local_datetime(ends, zone)),
            ],
            zone=zone,
            back=back,
            current=current_values(Leave, leave_id, operations.leave_values),
        )
        if done is not None:
            return _answer(done, status)
    return _render(
        {
            "senior": senior,
            "kind": "leave",
            "delete_url": url_for(".delete_leave", leave_id=leave_id),
            "current": _their_version(Leave, leave_id, status, zone),
        },
        form,
        _("Leave — {name}", name=senior.full_name),
        back,
        status,
    )


@blueprint.route("/leave/<int:leave_id>/delete", methods=["GET", "POST"])
@requires("rota.edit", target=leave_target)
def delete_leave(leave_id: int):
    """Remove a leave, once confirmed."""
    leave = _get(Leave, leave_id)
    return _delete(operations.remove_leave, leave, operations.leave_values, None, url_for("web.seniors.edit", senior_id=leave.senior_id))


# -- deleting ---------------------------------------------------------------------------------------


DELETE_TITLES = {
    Rotation: N_("Delete this rotation?"),
    DutySlot: N_("Delete this single shift?"),
    DutyOverride: N_("Delete this override?"),
    Leave: N_("Delete this leave?"),
}


def _scope_of(row) -> tuple[list[int], datetime, datetime]:
    """The specialties and the window a change of ``row`` may touch (rota.preview)."""
    session = db.session()
    if isinstance(row, Rotation):
        return [row.specialty_id], *pv.window(_rotation_period(row.valid_from, row.valid_until))
    if isinstance(row, Leave):
        return sorted(senior_specialty_ids(session, row.senior_id)), *pv.window((row.starts_at, row.ends_at))
    return [row.specialty_id], *pv.window((row.starts_at, row.ends_at))


def _delete(remove, row, values_of, specialty: Specialty | None, back: str):
    """A deletion in two steps: GET (or a POST without the preview's version) shows what goes, in words
    and local times, and what it does to coverage; the confirming POST carries the fingerprint and the
    version it was shown, and removes the row only if both still hold, then goes ``back``."""
    zone = _zone(specialty) if specialty is not None else senior_zone(row.senior_id)
    scope = _scope_of(row)
    if request.method == "POST":
        form = ConfirmForm()
        if not form.validate_on_submit():
            flash(_("Nothing was removed: the request was incomplete."), "error")
            return redirect(back)
        if previews.confirming() and previews.still_current(scope):
            return act(lambda session, who: remove(session, who, row.id, expected=form.fingerprint.data), done=_("Removed."), back=back)
    expected = request.form.get("fingerprint") or fingerprint(values_of(row))
    found, refusal = previews.run_preview(None, lambda session, who: remove(session, who, row.id, expected=expected), scope, zone=zone)
    if found is None:
        flash(editing_message(refusal), "error")
        return redirect(back)
    return previews.show(
        found,
        title=_(DELETE_TITLES[type(row)]),
        summary=described(row, zone),
        zone=zone,
        back=back,
        button=_("Delete"),
        moved=previews.confirming(),
        fields=[("fingerprint", expected)],
        danger=True,
        form_behind=False,
    )
