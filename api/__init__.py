"""The REST API (``/api/``, bearer tokens), its OpenAPI document and the calendar feeds (``/calendars/``).

``init_app`` wires it all into the application: the blueprints, the problem documents for HTTP errors
under ``/api/``, and the ``flask tokens`` and ``flask ical`` commands.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    from api.cli import ical_cli, tokens_cli
    from api.feeds import blueprint as feeds
    from api.views import blueprint as api
    from api.views import handle_http_error

    app.register_blueprint(api)
    app.register_blueprint(feeds)
    app.register_error_handler(HTTPException, handle_http_error)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(ical_cli)
