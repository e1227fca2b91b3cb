"""Recours: the application factory. ``flask --app app run`` serves the hotline."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from flask import Flask

from core import db, logmask
from core.config import load_settings


def create_app(config: Mapping[str, str] | None = None, *, hotline_only: bool = False) -> Flask:
    """Build the application. ``config`` overrides environment variables (same names), for tests.
    ``hotline_only``: see :func:`create_hotline_app`."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    env = {**os.environ, **(config or {})}
    settings = load_settings(env, app.instance_path)
    app.config.update(SETTINGS=settings, SECRET_KEY=settings.secret_key)
    logmask.install()  # phone numbers masked in every log line (docs/security.md)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), format=logmask.FORMAT)
    logging.getLogger("alembic").setLevel(logging.WARNING)

    db.init_app(app, settings.database_url, settings.budget)

    from webhooks import blueprint as twilio_webhooks
    from webhooks.glue import NoSessionForTwilio

    app.register_blueprint(twilio_webhooks)
    app.session_interface = NoSessionForTwilio()
    from voice.views import blueprint as recorded_prompts

    app.register_blueprint(recorded_prompts)  # the hospital's recorded prompts, as Twilio's <Play> fetches them
    if not hotline_only:
        _add_pages_api_reports_and_commands(app, env)
    from core import health  # /healthz and /readyz, in the hotline's workers too

    app.register_blueprint(health.blueprint)
    return app


def create_hotline_app(config: Mapping[str, str] | None = None) -> Flask:
    """What Twilio calls and nothing else: the webhooks and ``/healthz``, for the workers a reverse proxy
    sends ``/twilio/*`` to (README, "Production"). No page, API, report or command module is imported:
    a webhook worker holds tens of MB less (``make bench`` prints its resident memory). Everything else
    (pages, API, ``flask`` commands) is :func:`create_app`'s, on the same database."""
    return create_app(config, hotline_only=True)


def prepare_for_workers(app: Flask) -> None:
    """In gunicorn's master, once the app is loaded and before any worker is forked (``when_ready`` in
    gunicorn.conf.py): do now the work every worker would otherwise do on its first call, so that each
    worker inherits it in pages shared copy-on-write instead of holding its own copy, and the first
    call of each worker finds it done.

    - The ORM's mappers are configured (SQLAlchemy does it on the first query, in each process).
    - The routing snapshot is built (webhooks route from it, :mod:`routing.snapshot`); each worker's
      thread keeps it fresh from there. If the database does not answer within the webhook budget, the
      start goes on: the workers build it themselves, as before.
    - The master's own database connections are closed: it never serves a request.
    """
    from sqlalchemy.orm import configure_mappers

    from routing.snapshot import keeper_of

    configure_mappers()
    database = app.extensions["recours.db"]
    keeper = keeper_of(app)
    with app.app_context():
        if keeper.refresh(limit=database.budget.seconds) is None:
            logging.getLogger(__name__).warning("routing snapshot not built before the workers start: each worker builds its own")
    database.dispose()


def _add_pages_api_reports_and_commands(app: Flask, env: Mapping[str, str]) -> None:
    from web.params import IdConverter

    # Before the routes that use it (the webhooks have no id in their paths).
    app.url_map.converters["int"] = IdConverter  # ids beyond 64 bits are no route (404), never a 500
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
    from ringing.cli import ringing_cli
    from rota.cli import rota_cli
    from scheduler.cli import scheduler_cli
    from webhooks.cli import twilio_setup_command

    for group in (
        db_cli,
        demo_cli,
        calls_cli,
        gps_cli,
        rota_cli,
        twilio_setup_command,
        callbacks_cli,
        notifications_cli,
        scheduler_cli,
        ringing_cli,
    ):
        app.cli.add_command(group)
    try:
        from simulator.cli import call_cli
    except ImportError:  # the simulator is being written alongside; remove once it lands
        call_cli = None
    if call_cli is not None:
        app.cli.add_command(call_cli)

    import reports

    reports.init_app(app, env)
