"""Errors as RFC 9457 problem documents (``application/problem+json``).

Every refusal of the API is an :class:`ApiProblem`; ``errors`` names each field at fault, so a client can
show the message next to the right input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from flask import Response, json

PROBLEM_MEDIA_TYPE = "application/problem+json"
# Where the problem types are described: the API's own OpenAPI document (components.schemas.Problem).
PROBLEM_TYPE_BASE = "/api/openapi.json#problem-"


@dataclass(frozen=True)
class FieldError:
    field: str  # a body field, query or path parameter name; "" for the body as a whole
    message: str
    location: str = "body"  # "body", "query", "path" or "header"
    code: str | None = None  # an operation's refusal: its code (core.errors), for clients to act on
    params: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"field": self.field, "in": self.location, "message": self.message}
        if self.code is not None:
            body["code"] = self.code
            body["params"] = self.params or {}
        return body


@dataclass
class ApiProblem(Exception):
    status: int
    kind: str  # short slug: invalid-input, unauthorized, forbidden, not-found, ...
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        return problem_response(self.status, self.kind, self.detail, self.errors, self.headers)


def problem_response(
    status: int, kind: str, detail: str, errors: list[FieldError] | None = None, headers: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + kind,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "errors": [e.to_json() for e in errors or []],
    }
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MEDIA_TYPE)
    response.headers.update(headers or {})
    return response


def invalid(errors: list[FieldError], detail: str | None = None) -> ApiProblem:
    detail = detail or "; ".join(f"{e.field or 'body'}: {e.message}" for e in errors)
    return ApiProblem(422, "invalid-input", detail, errors)
