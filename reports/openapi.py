"""The report endpoints in OpenAPI 3.1, as dicts to merge into the REST API's ``/api/openapi.json``:
``PATHS`` into ``paths``, ``SCHEMAS`` into ``components.schemas`` (every name starts with ``Report``).
The 401/403 problem documents use the API's own ``Problem`` schema; both security schemes (``bearer``,
``webSession``) are the API document's."""

from __future__ import annotations

from typing import Any

from reports.definitions import OUTCOMES, RESULTS

_RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1, "description": "A fraction; null when undefined (nothing to divide by)."}
_SECONDS = {"type": ["number", "null"], "description": "Seconds; null when there is no duration."}
_COUNT = {"type": "integer", "minimum": 0}


def _object(properties: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "required": sorted(properties), "properties": properties}
    if description:
        schema["description"] = description
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(name)}}


_COUNTS_BY = {
    "outcome": _object({name: _COUNT for name in OUTCOMES}),
    "result": _object({name: _COUNT for name in RESULTS}),
}

SCHEMAS: dict[str, Any] = {
    "ReportScope": _object(
        {
            "from": {"type": "string", "format": "date", "description": "First local day."},
            "to": {"type": "string", "format": "date", "description": "Last local day, included."},
            "to_inclusive": {"const": True},
            "timezone": {"type": "string", "example": "Europe/Paris"},
            "start": {"type": "string", "format": "date-time", "description": "First instant covered (UTC)."},
            "end": {"type": "string", "format": "date-time", "description": "First instant after the period (UTC)."},
            "label": {"type": "string"},
            "specialty": {"type": ["string", "null"]},
            "department_id": {"type": ["integer", "null"]},
            "whole_hotline": {"type": "boolean"},
            "specialties": {"type": "array", "items": {"type": "string"}},
        }
    ),
    "ReportDurations": _object({"count": _COUNT, "median_seconds": _SECONDS, "p90_seconds": _SECONDS}),
    "ReportCalls": _object(
        {"total": _COUNT, "outcomes": _COUNTS_BY["outcome"], "rates": _object({name: _RATE for name in OUTCOMES})},
        "Calls started in the period, by outcome; rates are outcome / total.",
    ),
    "ReportAttempts": _object(
        {"attempts": _COUNT, "results": _COUNTS_BY["result"], "missed": _COUNT, "miss_rate": _RATE},
        "missed = no_answer + busy + not_accepted + declined + failed; miss_rate = missed / (accepted + missed).",
    ),
    "ReportSpecialty": _object(
        {
            "specialty": {"type": ["string", "null"], "description": "Its code; null for calls that chose no specialty."},
            "name": {"type": "string"},
            "calls": _ref("ReportCalls"),
            "found_nobody_on_duty": _COUNT,
            "time_to_first_ring": _ref("ReportDurations"),
            "time_to_connection": _ref("ReportDurations"),
            "attempts": _ref("ReportAttempts"),
        }
    ),
    "ReportSenior": _object(
        {
            "senior_id": {"type": ["integer", "null"]},
            "name": {"type": "string"},
            "attempts": _COUNT,
            "results": _COUNTS_BY["result"],
            "missed": _COUNT,
            "miss_rate": _RATE,
        }
    ),
    "ReportWeek": _object(
        {
            "week_start": {"type": "string", "format": "date", "description": "Monday."},
            "days_in_period": {"type": "integer", "minimum": 1, "maximum": 7},
            "partial": {"type": "boolean"},
            "calls": _COUNT,
            "outcomes": _COUNTS_BY["outcome"],
            "connected_rate": _RATE,
            "callback_requested_rate": _RATE,
            "found_nobody_on_duty": _COUNT,
            "attempts": _COUNT,
            "missed_attempts": _COUNT,
            "miss_rate": _RATE,
        }
    ),
    "ReportHeatMap": _object(
        {
            "weekdays": {"type": "array", "items": {"type": "string"}, "minItems": 7, "maxItems": 7},
            "calls": {
                "type": "array",
                "description": "[weekday, Monday first][local hour 0-23]",
                "items": {"type": "array", "items": _COUNT},
            },
            "connected": {"type": "array", "items": {"type": "array", "items": _COUNT}},
            "by_hour": {
                "type": "array",
                "items": _object({"hour": {"type": "integer"}, "calls": _COUNT, "connected": _COUNT, "connected_rate": _RATE}),
            },
        }
    ),
    "ReportCallbacks": _object(
        {
            "requested": _COUNT,
            "open": _COUNT,
            "open_overdue": _COUNT,
            "done": _COUNT,
            "done_late": _COUNT,
            "time_to_callback": _ref("ReportDurations"),
        }
    ),
    "ReportSummary": _object(
        {
            "scope": _ref("ReportScope"),
            "generated_at": {"type": "string", "format": "date-time"},
            "summarised_days": {"type": "integer", "description": "Days of the period read from the summary tables."},
            "calls": {"allOf": [_ref("ReportCalls"), _object({"found_nobody_on_duty": _COUNT})]},
            "time_to_first_ring": _ref("ReportDurations"),
            "time_to_connection": _ref("ReportDurations"),
            "attempts": _ref("ReportAttempts"),
            "specialties": {"type": "array", "items": _ref("ReportSpecialty")},
            "seniors": {"type": "array", "items": _ref("ReportSenior")},
            "most_missed": {"type": "array", "items": _ref("ReportSenior"), "maxItems": 10},
            "heat_map": _ref("ReportHeatMap"),
            "weeks": {"type": "array", "items": _ref("ReportWeek")},
            "callbacks": {
                "allOf": [
                    _ref("ReportCallbacks"),
                    _object(
                        {
                            "default_deadline_minutes": _COUNT,
                            "by_specialty": {"type": "object", "additionalProperties": _ref("ReportCallbacks")},
                        }
                    ),
                ]
            },
        },
        "Every figure of the call report. Definitions: reports/definitions.py (and the README).",
    ),
    "ReportAttemptLine": _object(
        {
            "position": {"type": "integer", "minimum": 1},
            "layer": {"type": "string", "enum": ["primary", "backup", "last_resort"]},
            "senior": {"type": "string"},
            "number": {"type": "string"},
            "started_at": {"type": "string", "format": "date-time"},
            "ringing_after_seconds": _SECONDS,
            "answered_after_seconds": _SECONDS,
            "ended_after_seconds": _SECONDS,
            "result": {"type": "string", "enum": list(RESULTS)},
        }
    ),
    "ReportUnansweredCall": _object(
        {
            "call_id": {"type": "integer"},
            "started_at": {"type": "string", "format": "date-time"},
            "local_start": {"type": "string", "format": "date-time"},
            "specialty": {"type": "string"},
            "caller": {"type": "string"},
            "outcome": {"type": "string", "enum": list(OUTCOMES)},
            "duration_seconds": _SECONDS,
            "callback": {"type": ["string", "null"], "enum": ["open", "done", None]},
            "attempts": {"type": "array", "items": _ref("ReportAttemptLine")},
        }
    ),
    "ReportUnansweredPage": _object(
        {
            "scope": _ref("ReportScope"),
            "total": _COUNT,
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "calls": {"type": "array", "items": _ref("ReportUnansweredCall")},
        }
    ),
    "ReportProblem": _object(
        {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"}},
        "An RFC 9457 problem document; `detail` says which parameter is wrong and why.",
    ),
}

# Optional, so not in "required": the next page, when there is one.
SCHEMAS["ReportUnansweredPage"]["properties"]["next"] = {"type": "string", "format": "uri-reference"}

_PERIOD_PARAMETERS = [
    {
        "name": "from",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "First local day (YYYY-MM-DD). Default: 27 days before `to`.",
    },
    {
        "name": "to",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "Last local day, INCLUDED (YYYY-MM-DD). Default: today in the department's time zone.",
    },
    {"name": "specialty", "in": "query", "schema": {"type": "string"}, "description": "A specialty code; default: the whole hotline."},
    {"name": "department", "in": "query", "schema": {"type": "string"}, "description": "A department id or exact name."},
]
_ERRORS = {
    "400": {
        "description": "Malformed or impossible parameters.",
        "content": {"application/problem+json": {"schema": _ref("ReportProblem")}},
    },
    "401": {
        "description": "Neither a live API token nor a web sign-in (or a bad or revoked token).",
        "content": {"application/problem+json": {"schema": _ref("Problem")}},
    },
    "403": {
        "description": "Signed in without the right to read reports (`reports.view`).",
        "content": {"application/problem+json": {"schema": _ref("Problem")}},
    },
}
# Either credential: any live API token (read-only included; reads the whole hotline), or a web sign-in.
SECURITY = [{"bearer": []}, {"webSession": []}]

PATHS: dict[str, Any] = {
    "/api/reports/summary": {
        "get": {
            "operationId": "getReportSummary",
            "tags": ["reports"],
            "security": SECURITY,
            "summary": "Every figure of the call report for a period and a specialty, department or the whole hotline.",
            "parameters": _PERIOD_PARAMETERS,
            "responses": {"200": {"description": "The report.", "content": _json("ReportSummary")}, **_ERRORS},
        }
    },
    "/api/reports/unanswered": {
        "get": {
            "operationId": "getReportUnansweredCalls",
            "tags": ["reports"],
            "security": SECURITY,
            "summary": "The unanswered calls of the period, newest first, each with its attempts in order.",
            "parameters": [
                *_PERIOD_PARAMETERS,
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
            ],
            "responses": {"200": {"description": "One page.", "content": _json("ReportUnansweredPage")}, **_ERRORS},
        }
    },
}
