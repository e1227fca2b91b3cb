"""The REST API (``/api/``, bearer tokens), its OpenAPI document and the calendar feeds (``/calendars/``).

``init_app`` wires it all into the application: the blueprints and the ``flask tokens`` and ``flask ical``
commands (HTTP errors under ``/api/`` are problem documents: ``web.errors``).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from api.cli import ical_cli, tokens_cli
    from api.feeds import blueprint as feeds
    from api.views import blueprint as api

    app.register_blueprint(api)
    app.register_blueprint(feeds)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(ical_cli)
