"""``/api/openapi.json``: the REST API in OpenAPI 3.1, with the report endpoints of :mod:`reports.openapi`
merged in when that package provides them. ``tests/api/test_openapi.py`` calls every route described here
and checks the answers against these schemas."""

from __future__ import annotations

import copy
import functools
from typing import Any

from api.problems import PROBLEM_MEDIA_TYPE
from api.views import MAX_COVERAGE_DAYS, SWAP_ACTIONS
from rota.models import SwapStatus

ID = {"type": "integer", "minimum": 1}
INSTANT = {"type": "string", "format": "date-time", "description": "ISO 8601 with an offset (Z or +01:00)."}
NULLABLE_INSTANT = {"type": ["string", "null"], "format": "date-time"}
WALL_TIME = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "description": "Local wall-clock time HH:MM."}
LAYER = {"type": "string", "enum": ["primary", "backup"]}
CODE = {"type": "string", "description": "A specialty code (see GET /api/specialties)."}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: list[str] | None = None, *, closed: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": sorted(properties) if required is None else required}
    if closed:
        schema["additionalProperties"] = False
    return schema


SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details. `errors` names every field at fault.",
        "required": ["type", "title", "status", "detail", "errors"],
        "properties": {
            "type": {"type": "string", "format": "uri-reference"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": _object(
                    {
                        "field": {"type": "string", "description": "Field or parameter name; empty for the body as a whole."},
                        "in": {"type": "string", "enum": ["body", "query", "path", "header"]},
                        "message": {"type": "string"},
                        "code": {
                            "type": "string",
                            "description": "For a change the rota refused: what the refusal is (`rota.period_order`, "
                            "`rota.unknown_senior`...); act on this, never on the message.",
                        },
                        "params": {"type": "object", "description": "The values the message was made from (ids, names, limits)."},
                    },
                    ["field", "in", "message"],
                ),
            },
        },
    },
    "Department": _object(
        {
            "id": ID,
            "name": {"type": "string"},
            "timezone": {"type": "string", "examples": ["Europe/Paris"]},
            "leave_policy": {"type": "string", "enum": ["skip", "gap"]},
            "swaps_need_approval": {"type": "boolean"},
            "public_holidays": {"type": ["string", "null"]},
        }
    ),
    "Specialty": _object(
        {
            "id": ID,
            "code": {"type": "string"},
            "department_id": ID,
            "name_fr": {"type": "string"},
            "name_en": {"type": "string"},
            "menu_digit": {"type": ["string", "null"]},
            "direct_number": {"type": ["string", "null"]},
        }
    ),
    "Senior": _object({"id": ID, "full_name": {"type": "string"}, "active": {"type": "boolean"}}),
    "Rotation": _object(
        {
            "id": ID,
            "specialty": CODE,
            "name": {"type": "string"},
            "layer": LAYER,
            "weekdays": {"type": "string", "pattern": "^[1-7]{1,7}$", "description": "ISO weekdays a window starts on (1 = Monday)."},
            "start": WALL_TIME,
            "end": WALL_TIME,
            "turn_days": {"type": "integer", "minimum": 1},
            "handoff": WALL_TIME,
            "anchor": {"type": "string", "format": "date"},
            "valid_from": INSTANT,
            "valid_until": NULLABLE_INSTANT,
            "members": {"type": "array", "items": ID, "description": "Senior ids in turn order."},
        }
    ),
    "NewRotation": _object(
        {
            "specialty": CODE,
            "name": {"type": "string", "maxLength": 120},
            "layer": LAYER,
            "weekdays": {"type": "string", "maxLength": 7, "examples": ["12345", "67"]},
            "start": WALL_TIME,
            "end": {**WALL_TIME, "description": "Not after start: the next day (a night)."},
            "members": {"type": "array", "items": ID},
            "turn_days": {"type": "integer", "minimum": 1, "maximum": 366, "default": 7},
            "handoff": {**WALL_TIME, "description": "Default: start."},
            "anchor": {"type": "string", "format": "date", "description": "The day members[0] holds the turn starting at handoff."},
            "valid_from": INSTANT,
            "valid_until": {**INSTANT, "description": "Optional."},
        },
        ["specialty", "name", "weekdays", "start", "end", "members", "anchor", "valid_from"],
    ),
    "Shift": _object(
        {"id": ID, "specialty": CODE, "senior_id": ID, "layer": LAYER, "starts_at": INSTANT, "ends_at": INSTANT},
    ),
    "NewShift": _object(
        {"specialty": CODE, "senior_id": ID, "layer": {**LAYER, "default": "primary"}, "starts_at": INSTANT, "ends_at": INSTANT},
        ["specialty", "senior_id", "starts_at", "ends_at"],
    ),
    "Override": _object(
        {
            "id": ID,
            "specialty": CODE,
            "replaced_senior_id": ID,
            "replacing_senior_id": ID,
            "starts_at": INSTANT,
            "ends_at": INSTANT,
            "note": {"type": "string"},
            "swap_id": {"type": ["integer", "null"]},
        }
    ),
    "NewOverride": _object(
        {
            "specialty": CODE,
            "replaced_senior_id": ID,
            "replacing_senior_id": ID,
            "starts_at": INSTANT,
            "ends_at": INSTANT,
            "note": {"type": "string", "maxLength": 1000},
        },
        ["specialty", "replaced_senior_id", "replacing_senior_id", "starts_at", "ends_at"],
    ),
    "Leave": _object({"id": ID, "senior_id": ID, "starts_at": INSTANT, "ends_at": INSTANT, "reason": {"type": "string"}}),
    "NewLeave": _object(
        {"senior_id": ID, "starts_at": INSTANT, "ends_at": INSTANT, "reason": {"type": "string", "maxLength": 120}},
        ["senior_id", "starts_at", "ends_at"],
    ),
    "Swap": _object(
        {
            "id": ID,
            "specialty": CODE,
            "requester_id": ID,
            "counterpart_id": ID,
            "starts_at": INSTANT,
            "ends_at": INSTANT,
            "return_starts_at": NULLABLE_INSTANT,
            "return_ends_at": NULLABLE_INSTANT,
            "status": {"type": "string", "enum": [s.value for s in SwapStatus]},
            "note": {"type": "string"},
        }
    ),
    "NewSwap": _object(
        {
            "specialty": CODE,
            "requester_id": ID,
            "counterpart_id": ID,
            "starts_at": INSTANT,
            "ends_at": INSTANT,
            "return_starts_at": INSTANT,
            "return_ends_at": INSTANT,
            "note": {"type": "string", "maxLength": 1000},
        },
        ["specialty", "requester_id", "counterpart_id", "starts_at", "ends_at"],
    ),
    "SwapAction": _object({"senior_id": {**ID, "description": "The senior acting (counterpart, head or requester)."}}),
    "HuntEntry": _object(
        {
            "senior_id": ID,
            "name": {"type": "string"},
            "number": {"type": "string", "description": "E.164"},
            "layer": {"type": "string", "enum": ["primary", "backup", "last_resort"]},
            "reason": {"type": "string"},
        }
    ),
    "OnDuty": _object({"specialty": CODE, "at": INSTANT, "hunt_list": {"type": "array", "items": _ref("HuntEntry")}}),
    "Coverage": _object(
        {
            "from": INSTANT,
            "to": INSTANT,
            "specialties": {"type": "array", "items": CODE},
            "gaps": {"type": "array", "items": _object({"specialty": CODE, "starts_at": INSTANT, "ends_at": INSTANT})},
            "conflicts": {
                "type": "array",
                "items": _object(
                    {
                        "kind": {"type": "string", "enum": ["two_specialties", "on_leave"]},
                        "specialty": CODE,
                        "senior_id": ID,
                        "starts_at": INSTANT,
                        "ends_at": INSTANT,
                        "detail": {"type": "string"},
                        "other_specialty": {"type": ["string", "null"]},
                    }
                ),
            },
        }
    ),
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": _ref("Problem")}}}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


AUTH_PROBLEMS = {"401": _problem("No token, or an unknown or revoked one.")}
READ_PROBLEMS = {**AUTH_PROBLEMS, "422": _problem("A query parameter is malformed or names nothing; `errors` says which.")}
WRITE_PROBLEMS = {
    **AUTH_PROBLEMS,
    "400": _problem("The body is not valid JSON."),
    "403": _problem("The token is read-only, or may not change that department."),
    "415": _problem("The body is not application/json."),
    "422": _problem("A field is missing, malformed, or refused by the rota; `errors` says which."),
}


def _query(name: str, schema: dict[str, Any], description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


SPECIALTY_Q = _query("specialty", {"type": "string"}, "Only this specialty (code).")
FROM_Q = _query("from", {"type": "string", "format": "date-time"}, "Only what ends after this instant.")
TO_Q = _query("to", {"type": "string", "format": "date-time"}, "Only what starts before this instant.")
SENIOR_Q = _query("senior", {"type": "integer", "minimum": 1}, "Only this senior (id).")


def _list(operation_id: str, summary: str, item: str, parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "parameters": parameters or [],
        "responses": {
            "200": _json("At most 1000 items.", {"type": "array", "items": _ref(item)}),
            **(READ_PROBLEMS if parameters else AUTH_PROBLEMS),
        },
    }


def _create(operation_id: str, summary: str, body: str, result: str) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(body)}}},
        "responses": {"201": _json("Created.", _ref(result)), **WRITE_PROBLEMS},
    }


PATHS: dict[str, Any] = {
    "/api/departments": {"get": _list("listDepartments", "Every department.", "Department")},
    "/api/specialties": {"get": _list("listSpecialties", "Every specialty with its code.", "Specialty")},
    "/api/seniors": {"get": _list("listSeniors", "Every senior.", "Senior")},
    "/api/rotations": {
        "get": _list("listRotations", "Rotations (recurring duty patterns).", "Rotation", [SPECIALTY_Q]),
        "post": _create("createRotation", "Add a rotation.", "NewRotation", "Rotation"),
    },
    "/api/shifts": {
        "get": _list("listShifts", "Single shifts overlapping [from, to).", "Shift", [SPECIALTY_Q, SENIOR_Q, FROM_Q, TO_Q]),
        "post": _create("createShift", "Add a single shift [starts_at, ends_at).", "NewShift", "Shift"),
    },
    "/api/overrides": {
        "get": _list("listOverrides", "Overrides overlapping [from, to).", "Override", [SPECIALTY_Q, FROM_Q, TO_Q]),
        "post": _create("createOverride", "One senior takes another's duty over an interval.", "NewOverride", "Override"),
    },
    "/api/leave": {
        "get": _list("listLeave", "Leave overlapping [from, to).", "Leave", [SENIOR_Q, FROM_Q, TO_Q]),
        "post": _create(
            "createLeave", "A senior is unavailable over an interval (the token must cover one of their departments).", "NewLeave", "Leave"
        ),
    },
    "/api/swaps": {
        "get": _list(
            "listSwaps",
            "Swap requests.",
            "Swap",
            [SPECIALTY_Q, _query("status", {"type": "string", "enum": [s.value for s in SwapStatus]}, "Only swaps in this status.")],
        ),
        "post": _create("createSwap", "Ask another senior to take (or exchange) duty.", "NewSwap", "Swap"),
    },
    "/api/swaps/{swap_id}/{action}": {
        "post": {
            "operationId": "actOnSwap",
            "summary": "Accept or decline (the counterpart), approve or reject (a head), cancel (the requester).",
            "parameters": [
                {"name": "swap_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                {"name": "action", "in": "path", "required": True, "schema": {"type": "string", "enum": list(SWAP_ACTIONS)}},
            ],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("SwapAction")}}},
            "responses": {
                "200": _json("The swap, moved on.", _ref("Swap")),
                **WRITE_PROBLEMS,
                "404": _problem("No such swap."),
                "409": _problem("The swap is not in a state this action applies to."),
            },
        }
    },
    "/api/on-duty": {
        "get": {
            "operationId": "getOnDuty",
            "summary": "Who the hotline rings for a specialty at an instant, in order, with the reason of each.",
            "parameters": [
                _query("specialty", {"type": "string"}, "Specialty code.", required=True),
                _query("at", {"type": "string", "format": "date-time"}, "Default: now."),
            ],
            "responses": {"200": _json("The hunt list.", _ref("OnDuty")), **READ_PROBLEMS},
        }
    },
    "/api/coverage": {
        "get": {
            "operationId": "getCoverage",
            "summary": f"Gaps (nobody primary) and conflicts over [from, to): default the next 7 days, at most {MAX_COVERAGE_DAYS} days.",
            "parameters": [SPECIALTY_Q, _query("from", {"type": "string", "format": "date-time"}, "Default: now."), TO_Q],
            "responses": {"200": _json("Gaps and conflicts.", _ref("Coverage")), **READ_PROBLEMS},
        }
    },
    "/api/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This document.",
            "security": [],
            "responses": {"200": _json("OpenAPI 3.1.", {"type": "object", "required": ["openapi", "paths"]})},
        }
    },
}


@functools.cache
def _document() -> dict[str, Any]:
    paths, schemas = copy.deepcopy(PATHS), copy.deepcopy(SCHEMAS)
    try:  # the call reports, written alongside; their routes take a token or a web sign-in (their own security)
        from reports.openapi import PATHS as REPORT_PATHS
        from reports.openapi import SCHEMAS as REPORT_SCHEMAS
    except ImportError:
        REPORT_PATHS, REPORT_SCHEMAS = {}, {}
    for path, item in REPORT_PATHS.items():
        item = copy.deepcopy(item)
        for operation in item.values():
            operation.setdefault("security", [{"webSession": []}])
        paths.setdefault(path, item)
    for name, schema in REPORT_SCHEMAS.items():
        schemas.setdefault(name, copy.deepcopy(schema))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Recours API",
            "version": "1",
            "description": "The hotline's rota for other hospital software. Errors are RFC 9457 problem documents.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "A token from `flask tokens create`."},
                "webSession": {"type": "apiKey", "in": "cookie", "name": "recours_session", "description": "A web app sign-in (reports)."},
            },
        },
    }


def document() -> dict[str, Any]:
    return copy.deepcopy(_document())
