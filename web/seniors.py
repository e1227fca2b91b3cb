"""Seniors: names, phone numbers (in order of preference), active or not, the departments whose staff
they are; and their leave. Administrators edit every senior, heads those of their departments."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from accounts.access import Target
from accounts.models import DepartmentStaff, User
from accounts.scope import departments_of_senior, memberships, senior_ids_of_departments
from core import clock, db
from rota import operations
from rota.models import Department, Leave, Senior
from web import params
from web.editing import current_values, fingerprint, submit
from web.formatting import local_datetime
from web.forms import EditForm, MultiCheckboxField, options
from web.i18n import _, lazy
from web.phones_field import PhoneListField
from web.rota_pages import senior_zone
from web.security import allowed, principal, requires

blueprint = Blueprint("seniors", __name__)


def senior_target(senior_id: int) -> Target:
    if db.session().get(Senior, senior_id) is None:
        abort(404)
    return Target.senior_record(departments_of_senior(db.session(), senior_id))


def _staff_of(senior_id: int) -> list[int]:
    return sorted(db.session().scalars(select(DepartmentStaff.department_id).where(DepartmentStaff.senior_id == senior_id)))


class SeniorForm(EditForm):
    full_name = StringField(lazy("Name"), validators=[InputRequired(), Length(max=120)])
    phones = PhoneListField(lazy("Phone numbers"))
    active = BooleanField(lazy("Active (may be rung)"), default=True)
    staff_of = MultiCheckboxField(lazy("Staff of the departments"), coerce=int)

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
    department_id = params.optional_id("department")
    if department_id:
        query = query.where(Senior.id.in_(senior_ids_of_departments(session, frozenset([department_id]))))
    seniors = session.scalars(query).all()
    departments = session.execute(select(Department.id, Department.name).order_by(Department.name)).all()
    membership = memberships(session, [s.id for s in seniors])
    targets = {s.id: Target.senior_record(membership[s.id]) for s in seniors}
    return render_template("seniors/index.html", seniors=seniors, departments=departments, department_id=department_id, targets=targets)


def _managed() -> frozenset[int] | None:
    """The departments whose staff lists this user may change: all for administrators."""
    who = principal()
    return None if who is not None and who.role.value == "admin" else (who.headed_department_ids if who else frozenset())


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
        done, _status = submit(
            form,
            lambda session, who: operations.create_senior(
                session,
                who,
                form.full_name.data,
                form.phones.data,
                active=form.active.data,
                staff_of=form.staff_of.data or [],
                managed=_managed(),
            ),
            done=lambda senior: (_("{name} added.", name=senior.full_name), url_for(".edit", senior_id=senior.id)),
        )
        if done is not None:
            return done
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
            fingerprint=fingerprint(operations.senior_values(senior)),
        )
    form.staff_of.choices = options(choices)
    status = 200
    if form.validate_on_submit():
        done, status = submit(
            form,
            lambda session, who: operations.update_senior(
                session,
                who,
                senior_id,
                expected=form.fingerprint.data,
                full_name=form.full_name.data,
                phones=form.phones.data,
                active=form.active.data,
                staff_of=form.staff_of.data or [],
                managed=_managed(),
            ),
            done=lambda senior: (_("{name} saved.", name=senior.full_name), url_for(".edit", senior_id=senior_id)),
            current=current_values(Senior, senior_id, operations.senior_values),
            back=url_for(".index"),
        )
        if done is not None:
            return done
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
