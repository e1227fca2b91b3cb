"""Seniors: names, phone numbers (in order of preference), active or not, the departments whose staff
they are; and their leave. Administrators edit every senior, heads those of their departments."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from accounts.access import Target
from accounts.models import DepartmentStaff, User
from accounts.scope import departments_of_senior, senior_ids_of_departments
from core import clock, db
from rota.models import Department, Leave, Senior, SeniorPhone
from web.auditing import log_change, senior_values
from web.concurrency import CHANGED, ChangedSinceOpened, fingerprint, lock_unchanged
from web.formatting import local_datetime
from web.forms import EditForm, options
from web.i18n import _, lazy
from web.phones_field import PhoneListField
from web.rota_pages import senior_zone
from web.security import allowed, principal, requires

blueprint = Blueprint("seniors", __name__)


def senior_target(senior_id: int) -> Target:
    if db.session().get(Senior, senior_id) is None:
        abort(404)
    return Target.of_department_ids(departments_of_senior(db.session(), senior_id))


def _staff_of(senior_id: int) -> list[int]:
    return sorted(db.session().scalars(select(DepartmentStaff.department_id).where(DepartmentStaff.senior_id == senior_id)))


def values_of(senior: Senior) -> dict:
    return senior_values(senior, _staff_of(senior.id))


class SeniorForm(EditForm):
    full_name = StringField(lazy("Name"), validators=[InputRequired(), Length(max=120)])
    phones = PhoneListField(lazy("Phone numbers"))
    active = BooleanField(lazy("Active (may be rung)"), default=True)
    staff_of = SelectMultipleField(lazy("Staff of the departments"), coerce=int)

    def validate_phones(self, field) -> None:
        if not field.data:
            raise ValidationError(_("At least one number: the hotline rings it."))


def _editable_departments() -> list[tuple[int, str]]:
    """The departments the user may add a senior to: all for administrators, their own for heads."""
    who = principal()
    rows = db.session().execute(select(Department.id, Department.name).order_by(Department.name)).all()
    if who is not None and who.role.value == "admin":
        return [(i, n) for i, n in rows]
    return [(i, n) for i, n in rows if i in (who.headed_department_ids if who else ())]


@blueprint.get("/seniors")
@requires("seniors.view")
def index():
    """Every senior with their numbers; ?department= keeps one department's staff."""
    session = db.session()
    query = select(Senior).options(selectinload(Senior.phones)).order_by(Senior.full_name)
    department_id = request.args.get("department", type=int)
    if department_id:
        query = query.where(Senior.id.in_(senior_ids_of_departments(session, frozenset([department_id]))))
    seniors = session.scalars(query).all()
    departments = session.execute(select(Department.id, Department.name).order_by(Department.name)).all()
    targets = {s.id: Target.of_department_ids(departments_of_senior(session, s.id)) for s in seniors}
    return render_template("seniors/index.html", seniors=seniors, departments=departments, department_id=department_id, targets=targets)


def _apply(session, senior: Senior, form: SeniorForm, allowed_departments: set[int]) -> None:
    senior.full_name = form.full_name.data.strip()
    senior.active = form.active.data
    wanted = form.phones.data
    if [p.e164 for p in senior.phones] != wanted:
        senior.phones.clear()
        session.flush()  # (senior, number) is unique: old rows go before the new order is written
        senior.phones.extend(SeniorPhone(e164=n, preference=i) for i, n in enumerate(wanted))
    # Only the departments this user may manage change; other departments' staff lists stay.
    current = set(_staff_of(senior.id)) if senior.id else set()
    chosen = set(form.staff_of.data or []) & allowed_departments
    for department_id in (current & allowed_departments) - chosen:
        session.execute(
            delete(DepartmentStaff).where(DepartmentStaff.department_id == department_id, DepartmentStaff.senior_id == senior.id)
        )
    for department_id in chosen - current:
        session.add(DepartmentStaff(department_id=department_id, senior_id=senior.id))
    session.flush()


@blueprint.route("/seniors/new", methods=["GET", "POST"])
@requires("seniors.edit")
def new():
    """A senior the hotline can ring; a head adds them to one of their departments."""
    form = SeniorForm()
    choices = _editable_departments()
    form.staff_of.choices = options(choices)
    if request.method == "GET":
        form.fingerprint.data = "new"
        if len(choices) == 1:
            form.staff_of.data = [choices[0][0]]
    if form.validate_on_submit():
        who = principal()
        if who.role.value != "admin" and not set(form.staff_of.data or []) & who.headed_department_ids:
            form.staff_of.errors.append(_("Choose one of your departments."))
        else:
            session = db.session()
            senior = Senior(full_name=form.full_name.data.strip(), active=form.active.data)
            session.add(senior)
            session.flush()
            _apply(session, senior, form, {i for i, _n in choices})
            log_change(
                session,
                "senior.create",
                "senior",
                senior.id,
                departments_of_senior(session, senior.id),
                None,
                values_of(senior),
                senior.full_name,
            )
            session.commit()
            flash(_("{name} added.", name=senior.full_name), "success")
            return redirect(url_for(".edit", senior_id=senior.id))
    return render_template("seniors/form.html", form=form, title=_("New senior"), senior=None)


@blueprint.route("/seniors/<int:senior_id>/edit", methods=["GET", "POST"])
@requires("seniors.edit", target=senior_target)
def edit(senior_id: int):
    """A senior's name, numbers, active flag and staff lists; their leave."""
    session = db.session()
    senior = session.get(Senior, senior_id)
    choices = _editable_departments()
    if request.method == "POST":
        form = SeniorForm()
    else:
        form = SeniorForm(
            full_name=senior.full_name,
            phones=[p.e164 for p in senior.phones],
            active=senior.active,
            staff_of=_staff_of(senior_id),
            fingerprint=fingerprint(values_of(senior)),
        )
    form.staff_of.choices = options(choices)
    status = 200
    if form.validate_on_submit():
        try:
            senior = lock_unchanged(session, Senior, senior_id, form.fingerprint.data, values_of)
        except ChangedSinceOpened:
            session.rollback()
            form.form_errors.append(_(CHANGED))
            form.fingerprint.data = fingerprint(values_of(session.get(Senior, senior_id)))
            status = 409
        else:
            before = values_of(senior)
            departments_before = departments_of_senior(session, senior_id)
            _apply(session, senior, form, {i for i, _n in choices})
            log_change(
                session,
                "senior.update",
                "senior",
                senior.id,
                departments_before | departments_of_senior(session, senior_id),
                before,
                values_of(senior),
                senior.full_name,
            )
            session.commit()
            flash(_("{name} saved.", name=senior.full_name), "success")
            return redirect(url_for(".edit", senior_id=senior_id))
    now = clock.now()
    leave = session.scalars(select(Leave).where(Leave.senior_id == senior_id, Leave.ends_at > now).order_by(Leave.starts_at)).all()
    account = session.scalars(select(User).where(User.senior_id == senior_id)).first()
    return render_template(
        "seniors/form.html",
        form=form,
        title=senior.full_name,
        senior=senior,
        leave=leave,
        account=account,
        local_datetime=local_datetime,
        zone=senior_zone(senior_id),
        can_edit_rota=allowed("rota.edit", senior_target(senior_id)),
    ), status
