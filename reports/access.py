"""Who may read the reports over HTTP: the one function every report page and endpoint asks.

``REPORTS_WEB`` chooses how the answer is given (``reports.init_app`` reads it):

- ``accounts`` (default): the signed-in web app decides, through the access matrix's ``reports.view``
  (:mod:`accounts.access`): administrators and managers see every department, heads of department their
  own. An anonymous visitor is sent to sign in (the JSON endpoints answer 401). If the sign-in is not
  set up in this application, every page is refused (403): the check fails closed.
  The JSON endpoints also accept ``Authorization: Bearer <API token>`` (:func:`api.tokens.authenticate`),
  for the hospital's dashboards: any live token, read-only included, reads the whole hotline, as tokens
  read the whole rota on ``/api/``. A request that sends an ``Authorization`` header is judged on it
  alone: a bad or revoked token is a 401 even with a session cookie.
- ``off``: the pages and endpoints are not registered at all; ``flask report`` still works.
- ``open``: no check at all, for a deployment whose reverse proxy authenticates before Recours (the
  start-up log says so). Never on a network the public or all staff can reach.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from api.tokens import bearer_challenge
from core import db

MODES = ("accounts", "off", "open")
ACTION = "reports.view"


class NotAuthenticated(HTTPException):
    """No usable credentials on a JSON endpoint: 401 with a Bearer challenge (a problem document)."""

    code = 401

    def __init__(self, detail: str, *, invalid_token: bool = False) -> None:
        super().__init__(detail)
        self.challenge = bearer_challenge(invalid_token)


class SignInNeeded(HTTPException):
    """An anonymous visitor on a page: the response is the redirection to the sign-in page."""

    code = 302

    def __init__(self, response: Response) -> None:
        super().__init__(response=response)


def visible_departments(*, api: bool) -> frozenset[int] | None:
    """The departments the current request may report on (None: all of them), or abort: 401/302 for
    an anonymous visitor, 403 for a user without the right, 404 when the reports are off."""
    mode = current_app.config.get("REPORTS_WEB", "accounts")
    if mode == "open":
        return None
    if mode == "accounts":
        return _through_accounts(api=api)
    abort(404)


def _through_accounts(*, api: bool) -> frozenset[int] | None:
    if api and "Authorization" in request.headers:
        return _through_token(request.headers["Authorization"])
    if getattr(current_app, "login_manager", None) is None:  # the web app's sign-in is not installed
        abort(403)
    from accounts.access import can
    from web.security import principal, visible_departments

    who = principal()
    if who is None:
        if api:
            raise NotAuthenticated("sign in to the web app, or send an API token: Authorization: Bearer <token>")
        raise SignInNeeded(redirect(url_for("web.auth.sign_in", next=request.full_path)))
    if not can(who, ACTION):
        abort(403)
    return visible_departments(ACTION)


def _through_token(header: str) -> None:
    """Any live API token reads every department (None); otherwise 401."""
    from api.tokens import TokenRefused, token_of_request

    try:
        token_of_request(db.session(), header)
    except TokenRefused as refusal:
        raise NotAuthenticated(refusal.detail, invalid_token=refusal.invalid_token) from None
    return None
