"""The web app for department heads, managers, seniors and IT: one blueprint ``web`` holding one child
blueprint per area (sign-in, the on-duty board, rotas, seniors, GPs, users, audit, self-service, the
softphone). ``init_app`` is the one call the application factory makes.

Security wiring, all here: session cookies (HttpOnly, SameSite=Lax, Secure when PUBLIC_BASE_URL is https,
lifetime SESSION_HOURS); CSRF checked on every state-changing request of the ``web`` blueprints (the
Twilio webhooks are authenticated by their signature instead); anonymous visitors sent to sign in; a
strict Content-Security-Policy (everything is served by the app itself); no caching of signed-in pages.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from accounts.access import Target
from core import db
from web import errors, formatting, i18n
from web.i18n import N_, _, choose_language, language, ngettext
from web.params import BadParameter
from web.security import allowed, csrf, install_transport_security, login_manager, signed_in_user

web = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")

NAVIGATION = [
    # (endpoint, label, action)
    ("web.board.index", N_("On duty now"), "board.view"),
    ("web.departments.index", N_("Rotas"), "rota.view"),
    ("web.live.page", N_("Live board"), "board.live"),
    ("web.calls.index", N_("Calls"), "calls.view"),
    ("web.callbacks.index", N_("Callbacks"), "callbacks.view"),
    ("web.swaps.index", N_("Swaps to approve"), "swap.decide"),
    ("web.slots.desk", N_("Urgent slots"), "slots.desk"),
    ("web.me.index", N_("My duty"), "self.duty"),
    ("web.seniors.index", N_("Seniors"), "seniors.view"),
    ("web.gps.index", N_("GP directory"), "gps.view"),
    ("web.history.index", N_("Audit log"), "audit.view"),
    ("web.users.index", N_("Users"), "users.manage"),
    ("web.softphone.index", N_("Softphone"), "softphone.use"),
    ("web.voice_pages.index", N_("Hotline voice"), "voice.manage"),
    ("reports.summary_page", N_("Reports"), "reports.view"),
]

MAX_BODY_BYTES = 1024 * 1024

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@web.before_request
def _before():
    if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
        csrf.protect()  # raises CSRFError (400) without a valid token
    user = signed_in_user()
    g.language = choose_language(user.language if user is not None else None)
    if user is not None and user.must_change_password and request.endpoint not in CHANGING_PASSWORD:
        return redirect(url_for("web.auth.account"))
    return None


# What an account that must choose its own password may still open.
CHANGING_PASSWORD = {"web.auth.account", "web.auth.sign_out", "web.auth.language", "web.static"}


@web.after_request
def _headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if current_user and current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response


@web.errorhandler(CSRFError)
def _csrf_error(error: CSRFError):
    return render_template(
        "web/error.html",
        title=_("The form has expired"),
        message=_("The form was refused because its security token is missing or has expired. Go back, reload the page and try again."),
    ), 400


@web.errorhandler(BadParameter)
def _bad_parameter(error: BadParameter):
    return render_template("web/error.html", title=_("This address cannot be shown"), message=error.description), 400


def _register_children() -> None:
    from web import (
        auth,
        board,
        callbacks,
        calls,
        departments,
        gps,
        history,
        live_board,
        me,
        outcome,
        rota_pages,
        seniors,
        softphone,
        swaps,
        urgent_slots,
        users,
        voice_pages,
    )

    for module in (
        auth,
        board,
        departments,
        rota_pages,
        swaps,
        seniors,
        gps,
        users,
        history,
        me,
        softphone,
        calls,
        callbacks,
        live_board,
        outcome,
        urgent_slots,
        voice_pages,
    ):
        web.register_blueprint(module.blueprint)


def init_app(app: Flask) -> None:
    """Wire the web app into ``app`` (called once by the application factory)."""
    settings = app.config["SETTINGS"]
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
        SESSION_COOKIE_NAME="recours_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.web.session_hours),
        # Only the web blueprints are checked (see _before); a token lives as long as the sign-in.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=settings.web.session_hours * 3600,
        # No form, JSON body or webhook needs more (imports go through the CLI): past it, 413 at once.
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        WTF_I18N_ENABLED=False,
    )
    i18n.init_app(app)
    errors.init_app(app)
    install_transport_security(app)

    @app.before_request
    def _reads_only() -> None:
        # Pages, reports, feeds and API reads never take SQLite's write lock (core.db.reads_only).
        if request.method in {"GET", "HEAD"}:
            db.reads_only()

    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "web.auth.sign_in"
    if not web._got_registered_once:  # the blueprint object is shared by every app (tests build many)
        _register_children()
    app.register_blueprint(web)

    from accounts.cli import users_cli

    app.cli.add_command(users_cli)

    @app.get("/")
    def home():
        """The web app's front page is the on-duty board."""
        return redirect(url_for("web.board.index"))

    app.jinja_env.filters.update(phone=formatting.phone, duration=formatting.duration, local_day=formatting.local_day)

    @app.context_processor
    def _helpers():
        return {
            "_": _,
            "ngettext": ngettext,
            "current_language": language,
            "allowed": allowed,
            "signed_in": lambda: signed_in_user() is not None,
            "target_of": lambda *ids: Target.departments(*ids),
            # An area may be switched off (REPORTS_WEB=off): its entry disappears with its routes.
            "navigation": lambda: [
                (endpoint, _(label)) for endpoint, label, action in NAVIGATION if endpoint in app.view_functions and allowed(action)
            ],
        }
