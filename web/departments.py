"""Departments and their specialties: the list every rota page starts from, department settings and heads
(administrators), specialty settings (administrators and the department's heads)."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask import Blueprint, abort, current_app, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, FieldList, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from accounts.access import Target
from core import clock, db
from core.phones import InvalidPhoneNumber, national, to_e164
from ringing import automatic
from ringing.queries import ringing_of
from rota import operations
from rota.models import Department, Specialty
from rota.operations import department_values, specialty_values
from web.editing import current_values, fingerprint, submit
from web.forms import EditForm, options, senior_field
from web.i18n import _, current_words, language, lazy
from web.rota_pages import senior_choices
from web.security import requires, visible_departments

blueprint = Blueprint("departments", __name__)


def department_target(department_id: int) -> Target:
    if db.session().get(Department, department_id) is None:
        abort(404)
    return Target.departments(department_id)


def specialty_target(specialty_id: int) -> Target:
    specialty = db.session().get(Specialty, specialty_id)
    if specialty is None:
        abort(404)
    return Target.departments(specialty.department_id)


@blueprint.get("/departments")
@requires("rota.view")
def index():
    """Every department and its specialties, with links to their rotas (a senior: their own departments)."""
    query = select(Department).options(selectinload(Department.specialties), selectinload(Department.head_links)).order_by(Department.name)
    visible = visible_departments("rota.view")
    if visible is not None:
        query = query.where(Department.id.in_(sorted(visible)))
    departments = db.session().scalars(query).all()
    editable = visible_departments("specialty.edit")
    return render_template("departments/index.html", departments=departments, editable=editable)


class DepartmentForm(EditForm):
    name = StringField(lazy("Name"), validators=[InputRequired(), Length(max=120)])
    timezone = StringField(lazy("Time zone"), default="Europe/Paris", validators=[InputRequired(), Length(max=64)])
    leave_policy = SelectField(
        lazy("When the senior on turn is on leave"),
        choices=options([("skip", lazy("the next senior in the turn order takes the turn")), ("gap", lazy("nobody: a gap"))]),
    )
    swaps_need_approval = BooleanField(lazy("Swaps need a head's approval"), default=True)
    public_holidays = StringField(lazy("Public holidays count as Sundays (calendar)"), validators=[Optional(), Length(max=16)])
    # One choice per head, in order (co-heads): plain selects, no Ctrl-click multi-select.
    heads = FieldList(senior_field("Head", required=False), min_entries=1, max_entries=10)

    def validate_timezone(self, field) -> None:
        if field.data not in available_timezones():
            raise ValidationError(_("Unknown time zone (for example Europe/Paris)."))


def _department_form(department: Department | None) -> DepartmentForm:
    if request.method == "POST" or department is None:
        form = DepartmentForm()
        if department is None:
            form.fingerprint.data = form.fingerprint.data or "new"
    else:
        form = DepartmentForm(
            name=department.name,
            timezone=department.timezone,
            leave_policy=department.leave_policy.value,
            swaps_need_approval=department.swaps_need_approval,
            public_holidays=department.public_holidays or "",
            heads=[link.senior_id for link in department.head_links],
            fingerprint=fingerprint(department_values(department)),
        )
    while len(form.heads.entries) < len([e for e in form.heads.entries if e.data]) + 1 or len(form.heads.entries) < 2:
        form.heads.append_entry()
    choices = senior_choices(blank=True)
    for index, entry in enumerate(form.heads.entries, start=1):
        entry.choices = choices
        entry.label.text = _("Head {n}", n=index)
    return form


def _department_arguments(form: DepartmentForm) -> dict:
    return {
        "name": form.name.data,
        "timezone": form.timezone.data,
        "public_holidays": form.public_holidays.data or "",
        "leave_policy": form.leave_policy.data,
        "swaps_need_approval": form.swaps_need_approval.data,
        "heads": [entry.data for entry in form.heads.entries if entry.data],
    }


@blueprint.route("/departments/new", methods=["GET", "POST"])
@requires("department.edit")
def new_department():
    """A department: its time zone, leave policy, holidays and heads."""
    form = _department_form(None)
    if form.validate_on_submit():
        arguments = _department_arguments(form)
        done, _status = submit(
            form,
            lambda session, who: operations.create_department(session, who, arguments.pop("name"), **arguments),
            done=lambda department: (_("Department “{name}” created.", name=department.name), url_for(".index")),
        )
        if done is not None:
            return done
    return render_template("departments/form.html", form=form, title=_("New department"))


@blueprint.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
@requires("department.edit", target=department_target)
def edit_department(department_id: int):
    """Change a department's settings and heads."""
    department = db.session().get(Department, department_id)
    form = _department_form(department)
    status = 200
    if form.validate_on_submit():
        done, status = submit(
            form,
            lambda session, who: operations.update_department(
                session, who, department_id, expected=form.fingerprint.data, **_department_arguments(form)
            ),
            done=lambda department: (_("Department “{name}” saved.", name=department.name), url_for(".index")),
            current=current_values(Department, department_id, department_values),
            back=url_for(".index"),
        )
        if done is not None:
            return done
    return render_template("departments/form.html", form=form, title=_("Department “{name}”", name=department.name)), status


class SpecialtyForm(EditForm):
    code = StringField(
        lazy("Code"),
        validators=[InputRequired(), Length(max=40), Regexp(r"^[a-z0-9_-]+$", message=lazy("Lower-case letters, digits, - and _ only."))],
    )
    name_fr = StringField(lazy("Name in French"), validators=[InputRequired(), Length(max=80)])
    name_en = StringField(lazy("Name in English"), validators=[InputRequired(), Length(max=80)])
    menu_digit = SelectField(lazy("Key in the hotline menu"), choices=options([("", "—")] + [(str(d), str(d)) for d in range(1, 10)]))
    speech_keywords = TextAreaField(lazy("Words a GP may say"), validators=[Optional(), Length(max=2000)])
    direct_number = StringField(lazy("Direct number"), validators=[Optional(), Length(max=40)])
    last_resort_senior_id = senior_field("Last resort", required=False)

    def validate_direct_number(self, field) -> None:
        if field.data:
            try:
                field.data = to_e164(field.data)
            except InvalidPhoneNumber:
                raise ValidationError(_("Not a valid phone number (for example 01 99 00 00 50).")) from None


def _specialty_form(specialty: Specialty | None) -> SpecialtyForm:
    if request.method == "POST" or specialty is None:
        form = SpecialtyForm()
        if specialty is None:
            form.fingerprint.data = form.fingerprint.data or "new"
    else:
        form = SpecialtyForm(
            code=specialty.code,
            name_fr=specialty.name_fr,
            name_en=specialty.name_en,
            menu_digit=specialty.menu_digit or "",
            speech_keywords=specialty.speech_keywords,
            direct_number=national(specialty.direct_number) if specialty.direct_number else "",
            last_resort_senior_id=specialty.last_resort_senior_id,
            fingerprint=fingerprint(specialty_values(specialty)),
        )
    form.last_resort_senior_id.choices = senior_choices(blank=True)
    return form


def _specialty_settings(form: SpecialtyForm) -> operations.SpecialtySettings:
    return operations.SpecialtySettings(
        code=form.code.data,
        name_fr=form.name_fr.data,
        name_en=form.name_en.data,
        menu_digit=form.menu_digit.data or None,
        speech_keywords=form.speech_keywords.data or "",
        direct_number=form.direct_number.data or None,
        last_resort_senior_id=form.last_resort_senior_id.data,
    )


@blueprint.route("/departments/<int:department_id>/specialties/new", methods=["GET", "POST"])
@requires("specialty.edit", target=department_target)
def new_specialty(department_id: int):
    """A specialty the hotline offers: menu key, spoken words, last resort."""
    department = db.session().get(Department, department_id)
    form = _specialty_form(None)
    if form.validate_on_submit():
        done, _status = submit(
            form,
            lambda session, who: operations.create_specialty(session, who, department_id, _specialty_settings(form)),
            done=lambda specialty: (_("Specialty “{name}” created.", name=specialty.name(language())), url_for(".index")),
        )
        if done is not None:
            return done
    return render_template("departments/form.html", form=form, title=_("New specialty — {name}", name=department.name))


@blueprint.route("/specialties/<int:specialty_id>/edit", methods=["GET", "POST"])
@requires("specialty.edit", target=specialty_target)
def edit_specialty(specialty_id: int):
    """Change how the hotline offers a specialty."""
    specialty = db.session().get(Specialty, specialty_id)
    form = _specialty_form(specialty)
    status = 200
    if form.validate_on_submit():
        done, status = submit(
            form,
            lambda session, who: operations.update_specialty(
                session, who, specialty_id, _specialty_settings(form), expected=form.fingerprint.data
            ),
            done=lambda specialty: (_("Specialty “{name}” saved.", name=specialty.name(language())), url_for(".index")),
            current=current_values(Specialty, specialty_id, specialty_values),
            back=url_for(".index"),
        )
        if done is not None:
            return done
    return render_template(
        "departments/form.html",
        form=form,
        title=_("Specialty “{name}”", name=specialty.name(language())),
        ringing=ringing_figures(specialty_id),
    ), status


def ringing_figures(specialty_id: int) -> dict:
    """How the specialty rings, and what each setting would have given on the last four weeks' calls."""
    session = db.session()
    settings = current_app.config["SETTINGS"]
    words = current_words()
    rows = []
    for row in automatic.expectations(session, settings, specialty_id, clock.now()):
        if row.setting in ("sequential", "automatic"):
            label = _("sequential") if row.setting == "sequential" else _("automatic")
        else:
            label = _("staged after {seconds} s", seconds=row.setting.split()[1])
        rows.append(
            (
                label,
                "—" if row.share_within_target is None else words.percent(row.share_within_target),
                "—" if row.mean_seconds is None else words.decimal(row.mean_seconds, 1),
                words.decimal(row.backup_rings_per_week, 1),
            )
        )
    return {"policy": ringing_of(session, specialty_id), "rows": rows, "target": automatic.TARGET_SECONDS}


def count_specialties() -> int:
    return db.session().scalar(select(func.count()).select_from(Specialty)) or 0
