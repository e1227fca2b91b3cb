"""Accounts, for administrators: create, change role and link to a senior, deactivate, set a password."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from accounts import operations, throttle
from accounts.access import Target
from accounts.models import User
from audit import snapshot
from core import clock, db
from web.auditing import log_change
from web.editing import show_on_form
from web.forms import Form, options, senior_field
from web.i18n import N_, _, lazy
from web.rota_pages import senior_choices
from web.security import requires

blueprint = Blueprint("users", __name__)

ROLE_LABELS = {"admin": N_("Administrator"), "head": N_("Head of department"), "manager": N_("Manager"), "senior": N_("Senior")}


def user_target(user_id: int) -> Target:
    if db.session().get(User, user_id) is None:
        abort(404)
    return Target()


def values_of(user: User) -> dict:
    return snapshot(user, exclude=("password_hash", "ical_token_hash", "must_change_password", "session_version", "version"))


class UserForm(Form):
    email = EmailField(lazy("E-mail address"), validators=[InputRequired(), Length(max=254)])
    full_name = StringField(lazy("Name"), validators=[InputRequired(), Length(max=120)])
    role = SelectField(lazy("Role"), choices=options((k, lazy(v)) for k, v in ROLE_LABELS.items()))
    senior_id = senior_field("Senior record", required=False)
    language = SelectField(lazy("Language"), choices=options([("fr", "Français"), ("en", "English")]))
    active = BooleanField(lazy("Active (may sign in)"), default=True)
    password = PasswordField(lazy("Password"), validators=[Optional(), Length(min=12, max=256)], render_kw={"autocomplete": "new-password"})
    version = HiddenField()


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
    if form.validate_on_submit():
        session = db.session()
        if not form.password.data:
            form.password.errors.append(_("A first password is needed."))
        else:
            try:
                user = operations.create_user(
                    session,
                    email=form.email.data,
                    full_name=form.full_name.data,
                    role=form.role.data,
                    password=form.password.data,
                    senior_id=form.senior_id.data,
                    language=form.language.data,
                    at=clock.now(),
                )
            except operations.AccountError as exc:
                session.rollback()
                show_on_form(form, exc)
            else:
                log_change(session, "user.create", "user", user.id, [], None, values_of(user), user.email)
                session.commit()
                flash(_("Account {email} created.", email=user.email), "success")
                return redirect(url_for(".index"))
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
        )
    form.senior_id.choices = senior_choices(blank=True)
    status = 200
    if form.validate_on_submit():
        before = values_of(user)
        try:
            if str(user.version) != (form.version.data or ""):
                raise StaleDataError("version")
            operations.update_user(
                session,
                user,
                email=form.email.data,
                full_name=form.full_name.data,
                role=form.role.data,
                senior_id=form.senior_id.data,
                language=form.language.data,
                active=form.active.data,
            )
            if form.password.data:
                operations.set_password(session, user, form.password.data, chosen_by_user=False)
                throttle.unlock(session, user.email)
            session.flush()
        except operations.AccountError as exc:
            session.rollback()
            show_on_form(form, exc)
        except StaleDataError:
            session.rollback()
            user = session.get(User, user_id)
            form.form_errors.append(_("It was changed by someone else since you opened it. Reload the page to see their version."))
            status = 409
        else:
            log_change(
                session,
                "user.update",
                "user",
                user.id,
                [],
                before,
                values_of(user),
                user.email + (" (new password)" if form.password.data else ""),
            )
            session.commit()
            flash(_("Account {email} saved.", email=user.email), "success")
            return redirect(url_for(".index"))
    return render_template("users/form.html", form=form, title=user.full_name), status
