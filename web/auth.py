"""Signing in and out, the language, one's own account (password)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import EqualTo, InputRequired, Length

from accounts import operations
from accounts.access import Target
from accounts.throttle import ThrottlePolicy
from core import clock, db
from core.actor import Actor
from web.editing import show_on_form
from web.forms import Form, options
from web.i18n import LANGUAGE_COOKIE, LANGUAGES, _, lazy
from web.security import client_ip, end_session, public, requires, signed_in_user, start_session

blueprint = Blueprint("auth", __name__)


class SignInForm(Form):
    email = EmailField(
        lazy("E-mail address"), validators=[InputRequired(), Length(max=254)], render_kw={"autocomplete": "username", "autofocus": True}
    )
    password = PasswordField(
        lazy("Password"), validators=[InputRequired(), Length(max=256)], render_kw={"autocomplete": "current-password"}
    )


class PasswordForm(Form):
    current = PasswordField(lazy("Current password"), validators=[InputRequired()], render_kw={"autocomplete": "current-password"})
    new = PasswordField(
        lazy("New password"), validators=[InputRequired(), Length(min=12, max=256)], render_kw={"autocomplete": "new-password"}
    )
    confirm = PasswordField(
        lazy("New password again"),
        validators=[InputRequired(), EqualTo("new", message=lazy("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class LanguageForm(Form):
    language = SelectField(lazy("Language"), choices=options([("fr", "Français"), ("en", "English")]))


def _start_page(user) -> str:
    """Where a sign-in without ``next`` leads: the board, or a secretariat's only page, its urgent slots."""
    from accounts.models import Role

    return url_for("web.slots.desk") if user.role is Role.SECRETARIAT else url_for("web.board.index")


def _safe_next(target: str | None, start: str | None = None) -> str:
    """Only a path on this site: an open redirect would make a phishing link look like ours."""
    if (
        target
        and len(target) <= 2000
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()  # CR/LF would split the Location header
        and not urlsplit(target).netloc
    ):
        return target
    return start or url_for("web.board.index")


def _minutes(seconds: float) -> int:
    return max(1, int(seconds + 59) // 60)


@blueprint.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    """The sign-in form; failures are counted per account name and per address, and lock for a growing time."""
    if signed_in_user() is not None:
        return redirect(_safe_next(request.args.get("next")))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        db_session = db.session()
        policy = ThrottlePolicy.from_settings(current_app.config["SETTINGS"].web)
        result = operations.authenticate(db_session, policy, form.email.data, form.password.data, client_ip(), clock.now())
        if result.user is not None:
            start_session(db_session, result.user)
            db_session.commit()
            if result.user.must_change_password:
                flash(_("Choose your own password before going on: the one you used was given to you."), "error")
                return redirect(url_for("web.auth.account"))
            return redirect(_safe_next(request.args.get("next"), _start_page(result.user)))
        db_session.commit()  # the failure counters and the audit entry
        if result.locked_for is not None:
            form.form_errors.append(
                _(
                    "Too many failed attempts. Try again in {minutes} min, or ask IT to unlock the account.",
                    minutes=_minutes(result.locked_for.total_seconds()),
                )
            )
            status = 429
        else:
            form.form_errors.append(_("Wrong e-mail address or password."))
            status = 401
    return render_template("auth/sign_in.html", form=form), status


@blueprint.post("/sign-out")
@requires("account.manage")
def sign_out():
    """End the sign-in of this browser, server-side: a copy of its cookie is worth nothing after this."""
    db_session = db.session()
    user = signed_in_user()
    operations.signed_out(db_session, Actor.for_user(user, client_ip()), user)
    end_session(db_session)
    db_session.commit()
    flash(_("You are signed out."), "success")
    return redirect(url_for("web.auth.sign_in"))


@blueprint.post("/language")
@public
def language():
    """Switch between French and English: remembered in a cookie, and on the account when signed in."""
    form = LanguageForm()
    chosen = form.language.data if form.validate_on_submit() and form.language.data in LANGUAGES else None
    response = redirect(_safe_next(request.form.get("next")))
    if chosen:
        user = signed_in_user()
        if user is not None and user.language != chosen:
            user.language = chosen
            db.session().commit()
        secure = current_app.config["SESSION_COOKIE_SECURE"]
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 86400, httponly=True, samesite="Lax", secure=secure)
    return response


@blueprint.route("/account", methods=["GET", "POST"])
@requires("account.manage", target=lambda: Target.page())
def account():
    """One's own account: a new password (signs out every other browser)."""
    user = signed_in_user()
    form = PasswordForm()
    if form.validate_on_submit():
        db_session = db.session()
        from accounts import passwords

        matches, _unused = passwords.verify(user.password_hash, form.current.data)
        if not matches:
            form.current.errors.append(_("This is not your current password."))
        else:
            try:
                operations.set_password(db_session, Actor.for_user(user, client_ip()), user, form.new.data)
            except operations.AccountError as exc:
                show_on_form(form, exc, {"password": "new"})
            else:
                start_session(db_session, user)  # every session ended: this browser gets a new one
                db_session.commit()
                flash(_("Password changed. Other browsers where you were signed in are signed out."), "success")
                return redirect(url_for("web.auth.account"))
    return render_template("auth/account.html", form=form, user=user)
