"""Every HTTP error of the application, answered in the reader's language instead of Werkzeug's English.

One handler for every path and code: the pages get the app's own error page in the reader's language
(their account's, else their cookie's, else the hospital's default); ``/api/`` gets an RFC 9457 problem
document whose ``detail`` follows ``Accept-Language`` (English by default: the API is read by programs
first; ``title`` stays the standard status phrase); ``/twilio/`` is left alone, because Twilio answers an error by fetching the number's
Fallback URL, which connects the GP to the switchboard.
"""

from __future__ import annotations

from flask import Flask, Response, g, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from core.words import LANGUAGES, N_, in_language

# (title, explanation) of each code; any other code gets the generic pair.
_PAGES: dict[int, tuple[str, str]] = {
    400: (N_("Bad request"), N_("The request could not be understood. Go back, reload the page and try again.")),
    403: (N_("Not allowed"), N_("Your account does not give access to this page.")),
    404: (N_("Not found"), N_("This page does not exist, or what it showed was deleted.")),
    405: (N_("Not allowed here"), N_("This address does not accept this kind of request.")),
    413: (N_("Too large"), N_("What was sent is too large.")),
    429: (N_("Too many requests"), N_("Too many requests in a short time. Wait a moment, then try again.")),
    500: (
        N_("Something went wrong"),
        N_(
            "An error stopped this request and nothing it would have changed was saved. "
            "Try again in a moment; if it happens again, tell the hospital's IT."
        ),
    ),
    503: (N_("Unavailable"), N_("Recours cannot answer right now. Try again in a moment.")),
}
_GENERIC = (N_("Error"), N_("The request could not be completed."))
_PROBLEM_KINDS = {400: "bad-request", 404: "not-found", 405: "method-not-allowed", 500: "internal-error"}


def page_words(error: HTTPException) -> tuple[str, str]:
    return _PAGES.get(error.code or 500, _GENERIC)


def _api_language() -> str:
    return request.accept_languages.best_match(LANGUAGES, default="en") or "en"


def _page_language() -> str:
    from web.i18n import choose_language
    from web.security import signed_in_user

    if "language" in g:
        return g.language
    user = signed_in_user()
    return choose_language(user.language if user is not None else None)


def handle_http_error(error: HTTPException):
    from api.problems import problem_response
    from web import SECURITY_HEADERS

    code = error.code or 500
    title, explanation = page_words(error)
    if request.path.startswith("/twilio/"):
        return error
    headers = {"Allow": ", ".join(error.valid_methods)} if isinstance(error, MethodNotAllowed) and error.valid_methods else {}
    if request.path.startswith("/api/"):
        words = in_language(_api_language())
        # A description of its own ("no senior #12") says more than the generic sentence.
        own = error.description if error.description != type(error).description else None
        response = problem_response(code, _PROBLEM_KINDS.get(code, "http-error"), own or words._(explanation), [], headers)
        response.headers["Content-Language"] = words.language
        return response
    g.language = _page_language()
    words = in_language(g.language)
    body = render_template("web/error.html", title=words._(title), message=words._(explanation))
    response = Response(body, status=code, headers=headers, mimetype="text/html")
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["Content-Language"] = words.language
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
