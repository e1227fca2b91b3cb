"""``/api/openapi.json``: the REST API in OpenAPI 3.1, made by :mod:`api.spec` from the routes and the
schemas of :mod:`api.views` and :mod:`api.schemas`, with the report endpoints of :mod:`reports.openapi`
merged in (their own document fragments). ``tests/api/test_openapi.py`` calls every route described here
and checks the answers against these schemas."""

from __future__ import annotations

import copy
import functools
from typing import Any

from api import spec


@functools.cache
def _document() -> dict[str, Any]:
    import api.views  # noqa: F401 - declares the routes

    try:  # the call reports, written alongside; their routes take a token or a web sign-in (their own security)
        from reports.openapi import PATHS as REPORT_PATHS
        from reports.openapi import SCHEMAS as REPORT_SCHEMAS
    except ImportError:
        REPORT_PATHS, REPORT_SCHEMAS = {}, {}
    report_paths = copy.deepcopy(REPORT_PATHS)
    for item in report_paths.values():
        for operation in item.values():
            operation.setdefault("security", [{"webSession": []}])
    document = spec.document(report_paths, copy.deepcopy(REPORT_SCHEMAS))
    return {
        "openapi": document["openapi"],
        "info": {
            "title": "Recours API",
            "version": "1",
            "description": "The hotline's rota for other hospital software. Errors are RFC 9457 problem documents; "
            "a change the rota refuses names its `code` and the field at fault.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": document["paths"],
        "components": {
            "schemas": document["components"]["schemas"],
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "A token from `flask tokens create`."},
                "webSession": {"type": "apiKey", "in": "cookie", "name": "recours_session", "description": "A web app sign-in (reports)."},
            },
        },
    }


def document() -> dict[str, Any]:
    return copy.deepcopy(_document())


def paths() -> dict[str, Any]:
    """The API's own paths (the report endpoints are documented and tested with the reports)."""
    return {path: item for path, item in document()["paths"].items() if not path.startswith("/api/reports/")}
