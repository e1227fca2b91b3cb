"""Sign-in state, CSRF, and the one gate every view passes: :func:`requires`, which asks
:func:`accounts.access.can` with the view's action and the thing the URL names.

Each view is marked either ``@requires(action, target=...)`` or ``@public``; the access matrix test
refuses a view marked neither, so no page escapes the matrix.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from accounts.access import Principal, Target, can, visible_department_ids
from accounts.models import User
from accounts.operations import load_session_user
from accounts.scope import principal_of
from core import db

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_user(cookie_id: str) -> User | None:
    return load_session_user(db.session(), cookie_id)


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


def visible_departments(action: str) -> frozenset[int] | None:
    """None: every department; else the only departments a list page may show."""
    who = principal()
    return frozenset() if who is None else visible_department_ids(who, action)


def client_ip() -> str | None:
    """The browser's address: the socket's, or the one the trusted proxies say (X-Forwarded-For)."""
    proxies = current_app.config["SETTINGS"].web.trusted_proxy_count
    if proxies:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.remote_addr


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
