"""Reading request fields: every problem is collected, then all are reported at once (422).

Only the shape of the input is checked here (types, formats, presence). Whether a change makes sense on
the rota is :mod:`rota.operations`' decision alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from sqlalchemy.orm import Session

from api.problems import ApiProblem, FieldError, invalid
from rota.models import Layer, Specialty
from rota.queries import find_specialty

_MISSING = object()
WALL_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class Fields:
    """The fields of one request part (the JSON body or the query string)."""

    def __init__(self, values: Mapping[str, Any], location: str, known: set[str] | None = None) -> None:
        self.values = values
        self.location = location
        self.errors: list[FieldError] = []
        if known is not None:
            for name in values:
                if name not in known:
                    self.fail(name, f"unknown field (expected one of: {', '.join(sorted(known))})")

    def fail(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message, self.location))

    def _raw(self, name: str, required: bool) -> Any:
        value = self.values.get(name, _MISSING)
        if value is _MISSING or value is None or (self.location == "query" and value == ""):
            if required:
                self.fail(name, "required")
            return _MISSING
        return value

    def text(self, name: str, *, required: bool = True, default: str = "", max_length: int = 1000) -> str:
        value = self._raw(name, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str):
            self.fail(name, "must be a string")
            return default
        if len(value) > max_length:
            self.fail(name, f"at most {max_length} characters")
        return value

    def integer(self, name: str, *, required: bool = True, default: int | None = None, low: int = 1, high: int = 2**31 - 1) -> int | None:
        value = self._raw(name, required)
        if value is _MISSING:
            return default
        if self.location == "query" and isinstance(value, str) and re.fullmatch(r"-?\d{1,12}", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, "must be a whole number")
            return default
        if not low <= value <= high:
            self.fail(name, f"must be between {low} and {high}")
            return default
        return value

    def integers(self, name: str, *, required: bool = True) -> list[int]:
        value = self._raw(name, required)
        if value is _MISSING:
            return []
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**31 for v in value):
            self.fail(name, "must be a list of ids (positive whole numbers)")
            return []
        return value

    def boolean(self, name: str, *, default: bool) -> bool:
        value = self._raw(name, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.fail(name, "must be true or false")
            return default
        return value

    def instant(self, name: str, *, required: bool = True) -> datetime | None:
        value = self._raw(name, required)
        if value is _MISSING:
            return None
        if not isinstance(value, str):
            self.fail(name, "must be an ISO 8601 date-time string")
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.fail(name, "not an ISO 8601 date-time (e.g. 2026-03-10T08:30:00+01:00)")
            return None
        if parsed.tzinfo is None:
            self.fail(name, "give an offset (Z or +01:00): a local time without one is ambiguous")
            return None
        return parsed

    def day(self, name: str, *, required: bool = True) -> date | None:
        value = self._raw(name, required)
        if value is _MISSING:
            return None
        try:
            if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.fail(name, "must be a date YYYY-MM-DD")
            return None

    def wall_time(self, name: str, *, required: bool = True) -> time | None:
        value = self._raw(name, required)
        if value is _MISSING:
            return None
        match = WALL_TIME.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            self.fail(name, "must be a local wall-clock time HH:MM (00:00-23:59)")
            return None
        return time(int(match[1]), int(match[2]))

    def layer(self, name: str = "layer", *, default: Layer | None = Layer.PRIMARY) -> Layer | None:
        value = self._raw(name, default is None)
        if value is _MISSING:
            return default
        try:
            return Layer(value)
        except ValueError:
            self.fail(name, "must be 'primary' or 'backup'")
            return default

    def specialty(self, session: Session, name: str = "specialty", *, required: bool = True) -> Specialty | None:
        """A specialty by code (or id)."""
        value = self._raw(name, required)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int) or (isinstance(value, str) and not 0 < len(value) <= 80):
            self.fail(name, "must be a specialty code")
            return None
        found = find_specialty(session, str(value))
        if found is None:
            self.fail(name, f"no specialty {value!r}")
        return found

    def check(self) -> None:
        if self.errors:
            raise invalid(self.errors)


def json_object(request) -> dict[str, Any]:
    """The request's JSON body, which must be an object."""
    if not request.is_json:
        raise ApiProblem(415, "unsupported-media-type", "send the body as application/json")
    body = request.get_json(silent=True)
    if body is None:
        raise ApiProblem(400, "malformed-json", "the body is not valid JSON", [FieldError("", "not valid JSON")])
    if not isinstance(body, dict):
        raise invalid([FieldError("", "the body must be a JSON object")])
    return body
