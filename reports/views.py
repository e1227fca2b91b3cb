"""The report over HTTP: pages for managers, CSV and SVG downloads, JSON for hospital dashboards.

Every handler: parse the query → ask :func:`reports.access.visible_departments` → compute → answer.
Nothing is written except the summary tables (a cache of the call log, see :mod:`reports.summaries`).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, json, jsonify, render_template, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import BadRequest, Forbidden, NotFound

from api.problems import problem_response
from core import clock, db
from reports import access, charts
from reports.definitions import LAYER_LABELS, OUTCOME_LABELS, RESULT_LABELS
from reports.definitions import sections as definition_sections
from reports.export import to_csv
from reports.figures import NO_SPECIALTY, Report, callback_default_deadline, summary_report, unanswered_report
from reports.period import DayOutOfRange, PeriodError, parse_day
from reports.scope import Scope, resolve_scope
from reports.tables import SUMMARY_TABLES, Cell, Kind, Table, format_cell, summary_tables, unanswered_table
from rota import bounds
from rota.models import Department, Specialty
from slots.report import TABLE as URGENT_SLOTS
from slots.report import urgent_slots_table
from web.errors import handle_http_error
from web.i18n import N_, choose_language, current_words, translate
from web.security import signed_in_user

blueprint = Blueprint("reports", __name__, template_folder="templates", static_folder="static", static_url_path="/reports/assets")

# Everything comes from the app itself; the SVG charts are inline markup, not scripts.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
CSV_UNANSWERED_LIMIT = 10_000


class ReportRequestError(BadRequest):
    """A parameter the report cannot use; answered as JSON on the API, as a page otherwise."""


def _scope(api: bool) -> Scope:
    visible = access.visible_departments(api=api)
    args = request.args
    try:
        first = parse_day(args["from"], "from") if args.get("from") else None
        last = parse_day(args["to"], "to") if args.get("to") else None
        return resolve_scope(
            db.session(),
            first,
            last,
            specialty=args.get("specialty") or None,
            department=args.get("department") or None,
            visible_department_ids=visible,
            now=clock.now(),
        )
    except DayOutOfRange:
        raise ReportRequestError(current_words()._(bounds.OUT_OF_RANGE, **bounds.range_params())) from None
    except PeriodError as exc:
        raise ReportRequestError(current_words()._(exc.template, **exc.params)) from None


def _report(scope: Scope) -> Report:
    deadline = callback_default_deadline(current_app.config["SETTINGS"])
    return summary_report(db.session(), scope, clock.now(), default_deadline=deadline)


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        words = current_words()
        said = {"name": name, "low": words.number(low), "high": words.number(high), "raw": raw}
        raise ReportRequestError(words._("{name} must be a whole number from {low} to {high}, got '{raw}'", **said))
    return int(raw)


def _query(scope: Scope, **extra: object) -> dict[str, object]:
    """The query string that names this scope again (for links and downloads)."""
    args: dict[str, object] = {"from": scope.period.first_day.isoformat(), "to": scope.period.last_day.isoformat()}
    if scope.specialty_code:
        args["specialty"] = scope.specialty_code
    elif scope.department_id is not None:
        args["department"] = scope.department_id
    return {**args, **extra}


def _choices(visible: frozenset[int] | None) -> tuple[list[Department], list[Specialty]]:
    session = db.session()
    departments = [d for d in session.scalars(select(Department).order_by(Department.name)) if visible is None or d.id in visible]
    ids = {d.id for d in departments}
    specialties = [s for s in session.scalars(select(Specialty).order_by(Specialty.code)) if s.department_id in ids]
    return departments, specialties


@blueprint.before_request
def _language() -> None:
    """The pages speak the signed-in user's language (French by default), as the web app does."""
    user = signed_in_user()
    g.language = choose_language(user.language if user is not None else None)


SCOPE_LABELS = {"whole hotline": N_("whole hotline"), "no department": N_("no department")}  # else names


def _row_label(table: Table, value: Cell, kind: Kind) -> str:
    if value == NO_SPECIALTY:  # the figures' name of calls that chose no specialty, read in the reader's words
        return current_words()._(NO_SPECIALTY)
    if isinstance(value, str):
        return table.columns[0].text_for(current_words(), value)
    return format_cell(value, kind, current_words())


def _label(labels: dict[str, str]):
    return lambda value: translate(labels.get(value, value.replace("_", " ")))


@blueprint.context_processor
def _page_helpers() -> dict[str, object]:
    return {
        "caption": lambda table: table.heading(current_words()),
        "column_titles": lambda table: table.column_titles(current_words()),
        "scope_label": lambda scope: translate(SCOPE_LABELS[scope.label]) if scope.label in SCOPE_LABELS else scope.label,
        "row_label": _row_label,
        "format_cell": lambda value, kind: format_cell(value, kind, current_words()),
        "outcome_label": _label(OUTCOME_LABELS),
        "result_label": _label(RESULT_LABELS),
        "layer_label": _label(LAYER_LABELS),
    }


@blueprint.after_request
def _headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")  # figures of named seniors: never in a shared cache
    return response


@blueprint.errorhandler(ReportRequestError)
def _bad_request(error: ReportRequestError):
    if request.path.startswith("/api/"):
        # An RFC 9457 problem document, like every other error under /api/.
        body = {"type": "about:blank", "title": "Bad Request", "status": 400, "detail": error.description}
        return Response(json.dumps(body), status=400, mimetype="application/problem+json")
    return render_template("reports/error.html", message=error.description), 400


@blueprint.errorhandler(access.NotAuthenticated)
def _not_authenticated(error: access.NotAuthenticated):
    """401 as a problem document with its Bearer challenge, like the rest of ``/api/``."""
    return problem_response(401, "unauthorized", error.description or "", [], {"WWW-Authenticate": error.challenge})


@blueprint.errorhandler(Forbidden)
def _forbidden(error: Forbidden):
    if request.path.startswith("/api/"):
        return problem_response(403, "forbidden", "reading the reports needs the right reports.view")
    return handle_http_error(error)  # the pages' own refusal page, in the reader's language


@blueprint.errorhandler(access.SignInNeeded)
def _sign_in(error: access.SignInNeeded):
    return error.get_response()


# -- pages -------------------------------------------------------------------------------------------------


@blueprint.get("/reports/")
def summary_page():
    """The report page: the figures, their charts, every table with its CSV, and the definitions."""
    scope = _scope(api=False)
    report = _report(scope)
    departments, specialties = _choices(access.visible_departments(api=False))
    return render_template(
        "reports/summary.html",
        scope=scope,
        report=report,
        tables={**summary_tables(report), URGENT_SLOTS: urgent_slots_table(db.session(), scope)},
        charts=charts.all_charts(report, current_words()),
        query=_query(scope),
        departments=departments,
        specialties=specialties,
        definitions=definition_sections(),
    )


@blueprint.get("/reports/unanswered")
def unanswered_page():
    """The unanswered calls, newest first, each opening on its attempts in order."""
    scope = _scope(api=False)
    page = unanswered_report(db.session(), scope, clock.now(), limit=PAGE_SIZE, offset=_int_arg("offset", 0, 0, 10**9))
    return render_template("reports/unanswered.html", scope=scope, page=page, query=_query(scope), page_size=PAGE_SIZE)


# -- downloads -----------------------------------------------------------------------------------------------


@blueprint.get("/reports/<name>.csv")
def table_csv(name: str):
    """One table as CSV, named like the table on the page (unanswered: one row per attempt)."""
    if name not in ("unanswered", URGENT_SLOTS) and name not in SUMMARY_TABLES:
        raise NotFound()
    scope = _scope(api=False)
    if name == URGENT_SLOTS:
        table = urgent_slots_table(db.session(), scope)
    elif name == "unanswered":
        table = unanswered_table(unanswered_report(db.session(), scope, clock.now(), limit=CSV_UNANSWERED_LIMIT))
    else:
        table = summary_tables(_report(scope))[name]
    filename = f"recours-{name}-{scope.period.first_day}-{scope.period.last_day}.csv"
    # For the person downloading it, in their language and for their spreadsheet (``;`` in French).
    body = to_csv(table, current_words())
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@blueprint.get("/reports/charts/<name>.svg")
def chart_svg(name: str):
    """One chart as an SVG picture (for dashboards, documents, printing)."""
    scope = _scope(api=False)
    drawn = charts.all_charts(_report(scope), current_words())
    if name not in drawn:
        raise NotFound()
    return Response(str(drawn[name]), mimetype="image/svg+xml")


# -- JSON ------------------------------------------------------------------------------------------------------


@blueprint.get("/api/reports/summary")
def summary_json():
    """Every figure of the report (see ``reports.openapi.PATHS``)."""
    scope = _scope(api=True)
    return jsonify(_report(scope).as_json())


@blueprint.get("/api/reports/unanswered")
def unanswered_json():
    """One page of unanswered calls with their attempts."""
    scope = _scope(api=True)
    limit = _int_arg("limit", PAGE_SIZE, 1, MAX_PAGE_SIZE)
    offset = _int_arg("offset", 0, 0, 10**9)
    page = unanswered_report(db.session(), scope, clock.now(), limit=limit, offset=offset)
    body = page.as_json()
    if offset + limit < page.total:
        body["next"] = url_for("reports.unanswered_json", **_query(scope, limit=limit, offset=offset + limit))
    return jsonify(body)
