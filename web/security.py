"""Sign-in state, CSRF, and the one gate every view passes: :func:`requires`, which asks
:func:`accounts.access.can` with the view's action and the thing the URL names.

Each view is marked either ``@requires(action, target=...)`` or ``@public``; the access matrix test
refuses a view marked neither, so no page escapes the matrix.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from accounts import sessions
from accounts.access import Principal, Target, authority_of, can, visible_department_ids
from accounts.models import User
from accounts.operations import load_session_user
from accounts.scope import principal_of
from core import clock, db

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.session_protection = "basic"


SESSION_SECRET = "recours_sid"  # the key of the server-side session's secret in Flask's signed cookie


def _lifetime() -> sessions.Lifetime:
    return sessions.Lifetime.from_settings(current_app.config["SETTINGS"].web)


@login_manager.user_loader
def _load_user(cookie_id: str) -> User | None:
    """The user of a cookie, when both the account (active, same session version) and the server-side
    session (not ended, not idle, not past its absolute end) are still good."""
    db_session = db.session()
    user = load_session_user(db_session, cookie_id)
    if user is None:
        return None
    secret = session.get(SESSION_SECRET)
    now = clock.now()
    verdict = sessions.check(db_session, secret, user.id, now, _lifetime())
    if not verdict.live:
        session.clear()
        return None
    if verdict.needs_touch:
        if db.reading():  # the request's session only reads: activity is written in a short one of its own
            with db.database().sessions() as writer:
                sessions.touch(writer, secret, now)
                writer.commit()
        else:
            sessions.touch(db_session, secret, now)
    # Ends the loader's transaction: on SQLite a request that will write holds the lock only from its
    # own first statement, not through everything it reads and computes before.
    db_session.commit()
    return user


def start_session(db_session, user: User) -> None:
    """Sign ``user`` in on this browser: a fresh cookie (and CSRF secret) and a new server-side session,
    in the caller's transaction (the caller commits, then answers)."""
    secret = sessions.open_session(db_session, user.id, clock.now(), _lifetime())
    session.clear()
    session.permanent = True
    session[SESSION_SECRET] = secret
    login_user(user)


def end_session(db_session) -> None:
    """Sign this browser out, server-side first (the caller commits)."""
    sessions.end(db_session, session.get(SESSION_SECRET))
    logout_user()
    session.clear()


def signed_in_user() -> User | None:
    user = current_user._get_current_object() if current_user else None  # type: ignore[attr-defined]
    return user if isinstance(user, User) else None


def principal() -> Principal | None:
    """The signed-in user as the access matrix sees them, computed once per request."""
    if "principal" not in g:
        user = signed_in_user()
        g.principal = None if user is None else principal_of(db.session(), user)
    return g.principal


def allowed(action: str, target: Target | None = None) -> bool:
    """For templates and views: may the signed-in user do ``action`` (on ``target``)?"""
    return can(principal(), action, target)


def authority() -> frozenset[int] | None:
    """The departments the signed-in user may change (None: all), for the membership rule."""
    who = principal()
    return frozenset() if who is None else authority_of(who)


def visible_departments(action: str) -> frozenset[int] | None:
    """None: every department; else the only departments a list page may show."""
    who = principal()
    return frozenset() if who is None else visible_department_ids(who, action)


def client_ip() -> str | None:
    """The browser's address. Behind TRUSTED_PROXY_COUNT proxies Werkzeug's ProxyFix has already put
    the address they vouch for in ``remote_addr`` (see :func:`install_transport_security`)."""
    return request.remote_addr


HSTS = "max-age=31536000; includeSubDomains"


def install_transport_security(app: Flask) -> None:
    """ProxyFix for exactly TRUSTED_PROXY_COUNT hops (X-Forwarded-For and -Proto; never Host or prefix:
    Twilio's signatures are checked against PUBLIC_BASE_URL, not the Host a proxy passes on), and HSTS
    on every answer when the public URL is https."""
    settings = app.config["SETTINGS"]
    proxies = settings.web.trusted_proxy_count
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0, x_port=0, x_prefix=0)  # type: ignore[method-assign]
    if settings.public_base_url.startswith("https://"):

        @app.after_request
        def _hsts(response):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
            return response


TargetResolver = Callable[..., Target]


def requires(action: str, target: TargetResolver | None = None) -> Callable:
    """Refuse the view (403) unless the matrix allows ``action`` on what ``target(**view_args)`` says
    the URL is about; anonymous users are sent to sign in. ``target`` may abort with 404."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(**view_args: Any):
            who = principal()
            if who is None:
                return redirect(url_for("web.auth.sign_in", next=request.full_path.rstrip("?") if request.method == "GET" else None))
            about = target(**view_args) if target is not None else Target.page()
            if not can(who, action, about):
                abort(403)
            return view(**view_args)

        wrapper.required_action = action  # type: ignore[attr-defined]
        wrapper.target_resolver = target  # type: ignore[attr-defined]
        return wrapper

    return decorate


def public(view: Callable) -> Callable:
    """A page anyone may open (sign-in, language, the iCal feed that carries its own secret)."""
    view.public = True  # type: ignore[attr-defined]
    return view
