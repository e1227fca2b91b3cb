"""Accounts, for administrators: create, change role and link to a senior, deactivate, set a password."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from sqlalchemy import select
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from accounts import operations
from accounts.access import Target
from accounts.models import User
from accounts.scope import secretariat_department_ids
from core import db
from rota.models import Department
from web.editing import RELOAD, submit
from web.forms import Form, MultiCheckboxField, options, senior_field
from web.i18n import N_, _, lazy
from web.rota_pages import senior_choices
from web.security import requires

blueprint = Blueprint("users", __name__)

# Least privilege first: a new account is a senior's unless the administrator chooses more.
ROLE_LABELS = {
    "senior": N_("Senior"),
    "secretariat": N_("Secretariat"),
    "manager": N_("Manager"),
    "head": N_("Head of department"),
    "admin": N_("Administrator"),
}


def user_target(user_id: int) -> Target:
    if db.session().get(User, user_id) is None:
        abort(404)
    return Target()


class UserForm(Form):
    email = EmailField(lazy("E-mail address"), validators=[InputRequired(), Length(max=254)])
    full_name = StringField(lazy("Name"), validators=[InputRequired(), Length(max=120)])
    role = SelectField(lazy("Role"), choices=options((k, lazy(v)) for k, v in ROLE_LABELS.items()), default="senior")
    senior_id = senior_field("Senior record", required=False)
    language = SelectField(lazy("Language"), choices=options([("fr", "Français"), ("en", "English")]))
    departments = MultiCheckboxField(lazy("Departments (secretariat)"), coerce=int, validators=[Optional()])
    active = BooleanField(lazy("Active (may sign in)"), default=True)
    password = PasswordField(lazy("Password"), validators=[Optional(), Length(min=12, max=256)], render_kw={"autocomplete": "new-password"})
    version = HiddenField()


def _department_choices():
    return options(db.session().execute(select(Department.id, Department.name).order_by(Department.name)).all())


@blueprint.get("/users")
@requires("users.manage")
def index():
    """Every account."""
    users = db.session().scalars(select(User).order_by(User.full_name)).all()
    return render_template("users/index.html", users=users, role_labels=ROLE_LABELS)


@blueprint.route("/users/new", methods=["GET", "POST"])
@requires("users.manage")
def new():
    """A new account; heads and seniors are linked to their senior record."""
    form = UserForm()
    form.senior_id.choices = senior_choices(blank=True)
    form.departments.choices = _department_choices()
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors.append(_("A first password is needed."))
        else:
            done, _status = submit(
                form,
                lambda session, who: operations.create_user(
                    session,
                    who,
                    email=form.email.data,
                    full_name=form.full_name.data,
                    role=form.role.data,
                    password=form.password.data,
                    senior_id=form.senior_id.data,
                    language=form.language.data,
                    departments=form.departments.data,
                ),
                done=lambda user: (_("Account {email} created.", email=user.email), url_for(".index")),
            )
            if done is not None:
                return done
    return render_template("users/form.html", form=form, title=_("New account"))


@blueprint.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires("users.manage", target=user_target)
def edit(user_id: int):
    """Change an account; a new password signs the person out everywhere and lifts a sign-in lock."""
    session = db.session()
    user = session.get(User, user_id)
    if request.method == "POST":
        form = UserForm()
    else:
        form = UserForm(
            email=user.email,
            full_name=user.full_name,
            role=user.role.value,
            senior_id=user.senior_id,
            language=user.language,
            active=user.active,
            version=str(user.version),
            departments=sorted(secretariat_department_ids(session, user.id)),
        )
    form.senior_id.choices = senior_choices(blank=True)
    form.departments.choices = _department_choices()
    status = 200
    if form.validate_on_submit():

        def change(session, who) -> User:
            changed = operations.update_user(
                session,
                who,
                user_id,
                expected_version=int(form.version.data) if (form.version.data or "").isdigit() else 0,
                email=form.email.data,
                full_name=form.full_name.data,
                role=form.role.data,
                senior_id=form.senior_id.data,
                language=form.language.data,
                active=form.active.data,
                departments=form.departments.data,
            )
            if form.password.data:
                operations.set_password(session, who, changed, form.password.data, chosen_by_user=False)
            return changed

        done, status = submit(
            form,
            change,
            done=lambda user: (_("Account {email} saved.", email=user.email), url_for(".index")),
            changed=RELOAD,
        )
        if done is not None:
            return done
    return render_template("users/form.html", form=form, title=user.full_name), status
