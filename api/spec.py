"""Routes declared with their schemas, and the OpenAPI 3.1 document made from those declarations.

A view of the API says what it reads and answers::

    @route("POST", "/rotations", body=RotationFields, answer=Rotation, status=201, writes=True)
    def create_rotation(body: RotationFields) -> Rotation: ...

and :func:`route` parses the query string and the body with those pydantic models (every problem at once:
422 naming each field), serialises the answer, and records the route: :func:`document` builds
``/api/openapi.json`` from the same records and schemas, so the document cannot drift from the code.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, get_args, get_origin

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from api.problems import PROBLEM_MEDIA_TYPE, ApiProblem, FieldError, invalid
from rota import bounds

# pydantic's error types, worded for this API's clients where its own words would puzzle them.
MESSAGES = {
    "timezone_aware": "give an offset (Z or +01:00): a local time without one is ambiguous",
    "extra_forbidden": "unknown field",
    "missing": "required",
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # Flask's rule under /api, e.g. /swaps/<int:swap_id>/<action>
    view: Callable[..., Any]
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    answer: Any  # a model, or list[model]
    status: int
    writes: bool
    public: bool
    problems: tuple[int, ...]
    preview: Any = None  # the model answered with 200 when the query asks for a dry run

    @property
    def openapi_path(self) -> str:
        return "/api" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.path)


ROUTES: list[Route] = []


def field_errors(error: ValidationError, location: str) -> list[FieldError]:
    """pydantic's errors as the API's: the top-level field (or parameter) at fault, a short message."""
    found = []
    for item in error.errors(include_url=False):
        loc = item["loc"]
        name = str(loc[0]) if loc else ""
        if name == "from_":
            name = "from"
        found.append(FieldError(name, MESSAGES.get(item["type"], item["msg"]), location))
    return found


def _within_planned_dates(parsed: BaseModel, location: str) -> BaseModel:
    """Dates and instants a client sends stay within what Recours plans (rota.bounds), so nothing far
    in the past or future reaches the rota's arithmetic: a 422 naming the field instead of a 500."""
    errors = []
    for name, info in type(parsed).model_fields.items():
        value = getattr(parsed, name)
        day = value.date() if isinstance(value, datetime) else value if isinstance(value, date) else None
        if day is not None and not bounds.day_in_range(day):
            shown = info.alias or name
            errors.append(FieldError(shown, f"must be between {bounds.EARLIEST_DAY} and {bounds.LATEST_DAY}", location))
    if errors:
        raise invalid(errors)
    return parsed


def parse_body(model: type[BaseModel]) -> BaseModel:
    if not request.is_json:
        raise ApiProblem(415, "unsupported-media-type", "send the body as application/json")
    try:
        parsed = model.model_validate_json(request.get_data(), strict=True)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise ApiProblem(400, "malformed-json", "the body is not valid JSON", [FieldError("", "not valid JSON")]) from None
        if any(e["type"] == "model_type" and not e["loc"] for e in exc.errors()):
            raise invalid([FieldError("", "the body must be a JSON object")]) from None
        raise invalid(field_errors(exc, "body")) from None
    return _within_planned_dates(parsed, "body")


def parse_query(model: type[BaseModel]) -> BaseModel:
    values = {key: value for key, value in request.args.items() if value != ""}
    try:
        parsed = model.model_validate(values)
    except ValidationError as exc:
        raise invalid(field_errors(exc, "query")) from None
    return _within_planned_dates(parsed, "query")


def _dump(answer: Any) -> Any:
    if isinstance(answer, BaseModel):
        return answer.model_dump(mode="json", by_alias=True)
    if isinstance(answer, list):
        return [_dump(item) for item in answer]
    return answer


def route(
    blueprint: Blueprint,
    method: str,
    path: str,
    *,
    answer: Any,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    status: int = 200,
    writes: bool = False,
    public: bool = False,
    problems: tuple[int, ...] = (),
    preview: Any = None,
) -> Callable:
    """Register the view on ``blueprint`` and in :data:`ROUTES`; the view gets ``query=``/``body=`` parsed.
    A view that answers ``(model, status)`` answers with that status (a dry run's 200 ``preview``)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(**path_values: Any) -> Response | tuple[Response, int]:
            arguments = dict(path_values)
            if query is not None:
                arguments["query"] = parse_query(query)
            if body is not None:
                arguments["body"] = parse_body(body)
            result = view(**arguments)
            if isinstance(result, Response):
                return result
            if isinstance(result, tuple):
                result, answered = result
                return jsonify(_dump(result)), answered
            return jsonify(_dump(result)), status

        blueprint.add_url_rule(path, view.__name__, wrapper, methods=[method])
        ROUTES.append(Route(method.lower(), path, view, query, body, answer, status, writes, public, problems, preview))
        return wrapper

    return decorate


# -- the document -------------------------------------------------------------------------------------

PROBLEM_SCHEMA: dict[str, Any] = {
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
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["field", "in", "message"],
                "properties": {
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
            },
        },
    },
}

PROBLEMS = {
    400: "The body is not valid JSON.",
    401: "No token, or an unknown or revoked one.",
    403: "The token is read-only, or may not change that department.",
    404: "Nothing has that id.",
    409: "The change conflicts with the current state (a swap already answered, a name or key already used).",
    415: "The body is not application/json.",
    422: "A field or parameter is missing, malformed, or refused by the rota; `errors` says which.",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _models(answer: Any) -> list[type[BaseModel]]:
    if get_origin(answer) is list:
        return _models(get_args(answer)[0])
    return [answer] if isinstance(answer, type) and issubclass(answer, BaseModel) else []


def _answer_schema(answer: Any) -> dict[str, Any]:
    if get_origin(answer) is list:
        return {"type": "array", "items": _answer_schema(get_args(answer)[0])}
    if isinstance(answer, type) and issubclass(answer, BaseModel):
        return _ref(answer.__name__)
    return answer  # a JSON schema written out (the OpenAPI document itself)


def _path_parameters(path: str) -> list[dict[str, Any]]:
    parameters = []
    for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", path):
        schema = {"type": "integer", "minimum": 1} if converter == "int" else {"type": "string"}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def _query_parameters(model: type[BaseModel], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    required = set(schema.get("required", []))
    parameters = []
    for name, property_schema in schema["properties"].items():
        description = property_schema.pop("description", "")
        property_schema.pop("title", None)
        parameters.append(
            {"name": name, "in": "query", "required": name in required, "schema": property_schema, "description": description}
        )
    return parameters


def _operation(route: Route, schemas: dict[str, Any]) -> dict[str, Any]:
    doc = (route.view.__doc__ or "").strip()
    summary, _, description = doc.partition("\n\n")
    parameters = _path_parameters(route.path) + (_query_parameters(route.query, schemas) if route.query else [])
    statuses = set(route.problems)
    if not route.public:
        statuses.add(401)
    if route.query is not None:
        statuses.add(422)
    if route.writes:
        statuses |= {400, 403, 409, 415, 422}
    if "<" in route.path:
        statuses.add(404)
    operation: dict[str, Any] = {
        "operationId": route.view.__name__,
        "summary": " ".join(summary.split()),
        "parameters": parameters,
        "responses": {
            str(route.status): (
                {"description": "Done; nothing to answer."}
                if route.answer is None
                else {"description": "OK", "content": {"application/json": {"schema": _answer_schema(route.answer)}}}
            ),
            **{
                str(status): {"description": PROBLEMS[status], "content": {PROBLEM_MEDIA_TYPE: {"schema": _ref("Problem")}}}
                for status in sorted(statuses)
            },
        },
    }
    if route.preview is not None:
        schema = _answer_schema(route.preview)
        if route.status == 200:  # the change's own answer and the dry run's share the status
            schema = {"anyOf": [_answer_schema(route.answer), schema]}
        operation["responses"]["200"] = {
            "description": "OK; with dry_run=true, what the change would do (a Preview), nothing saved.",
            "content": {"application/json": {"schema": schema}},
        }
    if description:
        operation["description"] = " ".join(description.split())
    if route.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(route.body.__name__)}}}
    if route.public:
        operation["security"] = []
    return operation


def document(extra_paths: dict[str, Any] | None = None, extra_schemas: dict[str, Any] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every declared route (plus ``extra_*``, merged as they are)."""
    answers = {m for r in ROUTES for m in [*_models(r.answer), *_models(r.preview)]}
    models = answers | {r.body for r in ROUTES if r.body}
    _, definitions = models_json_schema(
        [(model, "serialization" if model in answers else "validation") for model in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    schemas: dict[str, Any] = {"Problem": PROBLEM_SCHEMA, **definitions.get("$defs", {})}
    paths: dict[str, Any] = {}
    for r in ROUTES:
        paths.setdefault(r.openapi_path, {})[r.method] = _operation(r, schemas)
    paths.update(extra_paths or {})
    schemas.update(extra_schemas or {})
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {"schemas": schemas},
    }
