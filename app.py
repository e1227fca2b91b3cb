"""Recours: the application factory. ``flask --app app run`` serves the hotline."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from flask import Flask

from core import db, logmask
from core.config import load_settings


def create_app(config: Mapping[str, str] | None = None) -> Flask:
    """Build the application. ``config`` overrides environment variables (same names), for tests."""
    app = Flask(__name__, instance_relative_config=True)
    from web.params import IdConverter

    app.url_map.converters["int"] = IdConverter  # ids beyond 64 bits are no route (404), never a 500
    os.makedirs(app.instance_path, exist_ok=True)
    env = {**os.environ, **(config or {})}
    settings = load_settings(env, app.instance_path)
    app.config.update(SETTINGS=settings, SECRET_KEY=settings.secret_key)
    logmask.install()  # phone numbers masked in every log line (docs/security.md)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), format=logmask.FORMAT)
    logging.getLogger("alembic").setLevel(logging.WARNING)

    db.init_app(app, settings.database_url)

    from webhooks import blueprint as twilio_webhooks

    app.register_blueprint(twilio_webhooks)
    from web import init_app as init_web_app

    init_web_app(app)
    from api import init_app as init_api

    init_api(app)

    from callbacks.cli import callbacks_cli
    from calllog.cli import calls_cli
    from core.cli import db_cli
    from demo.cli import demo_cli
    from directory.cli import gps_cli
    from notify.cli import notifications_cli
    from rota.cli import rota_cli
    from scheduler.cli import scheduler_cli
    from webhooks.cli import twilio_setup_command

    for group in (db_cli, demo_cli, calls_cli, gps_cli, rota_cli, twilio_setup_command, callbacks_cli, notifications_cli, scheduler_cli):
        app.cli.add_command(group)
    try:
        from simulator.cli import call_cli
    except ImportError:  # the simulator is being written alongside; remove once it lands
        call_cli = None
    if call_cli is not None:
        app.cli.add_command(call_cli)

    import reports

    reports.init_app(app, env)

    @app.get("/healthz")
    def healthz() -> tuple[str, int]:
        """For the reverse proxy and the load balancer: the process is up."""
        return "ok", 200

    return app
