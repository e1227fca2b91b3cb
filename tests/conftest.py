"""Fixtures shared by the whole suite.

Every test that touches the database runs on SQLite and, when a PostgreSQL server answers on
127.0.0.1:5432 (or ``TEST_POSTGRES_URL``), on PostgreSQL too; under ``CI=true`` PostgreSQL is mandatory.
Each run creates its own PostgreSQL database and drops it at the end: the server outlives every run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from app import create_app
from calllog import writer
from core import clock, db, migrations
from routing import snapshot
from schema import metadata

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_BASE_URL = "https://recours.example.org"
HOTLINE = "+33199000000"
SWITCHBOARD = "+33199000099"

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_reachable() -> str | None:
    """None when reachable, else why not."""
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available here"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


@pytest.fixture(scope="session", autouse=True)
def local_state_directories(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The journal and the routing snapshots of the suite's apps go to a temporary directory, not to
    the checkout's instance/ (each is namespaced by its database anyway)."""
    base = tmp_path_factory.mktemp("local-state")
    saved = {name: os.environ.get(name) for name in ("JOURNAL_DIR", "ROUTING_SNAPSHOT_DIR")}
    os.environ["JOURNAL_DIR"] = str(base / "journal")
    os.environ["ROUTING_SNAPSHOT_DIR"] = str(base / "routing")
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database for the whole run, one per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'recours.sqlite3'}"
        engine = db.make_engine(url)
        migrations.upgrade(engine)
        engine.dispose()
        yield url
        return
    why_not = _postgres_reachable()
    if why_not is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires PostgreSQL at {POSTGRES_ADMIN_URL}: {why_not}")
        pytest.skip(f"PostgreSQL not reachable ({why_not})")
    name = f"recours_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        engine = db.make_engine(url)
        migrations.upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def fault_proxy(database_url: str):
    """A TCP proxy in front of the test's PostgreSQL database that can refuse, hang or slow it
    (tests/faultproxy.py). The faults are PostgreSQL's: the SQLite run of such a test is skipped."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the TCP fault proxy stands in front of PostgreSQL")
    from tests.faultproxy import FaultProxy

    url = make_url(database_url)
    with FaultProxy((url.host or "127.0.0.1", url.port or 5432)) as proxy:
        yield proxy


def settings_for(database_url: str, **overrides: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "HOTLINE_NUMBER": HOTLINE,
        "FALLBACK_NUMBER": SWITCHBOARD,
        "SECRET_KEY": "test",
        # The suite is a developer's machine: the log notification backend is allowed (docs/security.md).
        "RECOURS_ENV": "development",
        # The longest budget: a webhook of a scenario on a loaded machine must not fall into degraded mode
        # by chance (SQLite's busy timeout is half of it). The fault tests set their own, short one.
        "WEBHOOK_BUDGET_SECONDS": "10",
        # The commands' messages in English, which the CLI tests read; tests/test_cli_words.py reads French.
        "CLI_LANGUAGE": "en",
        **overrides,
    }


def _empty_all_tables(app: Flask) -> None:
    engine = app.extensions["recours.db"].engine
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def make_app(database_url: str, tmp_path) -> Iterator:
    """Build an app on the test database with extra settings; tables are emptied first. The apps of
    one test share one local disk (journal, routing snapshot), like instances on one machine."""
    apps: list[Flask] = []

    def build(**overrides: str) -> Flask:
        local = {"JOURNAL_DIR": str(tmp_path / "journal"), "ROUTING_SNAPSHOT_DIR": str(tmp_path / "routing")}
        app = create_app(settings_for(database_url, **{**local, **overrides}))
        app.config["TESTING"] = True
        if not apps:
            _empty_all_tables(app)
        apps.append(app)
        return app

    yield build
    for app in apps:
        writer.stop(app)
        snapshot.stop(app)
        app.extensions["recours.db"].dispose()


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def french_cli(make_app):
    """Runs a command as a French reader of the terminal would (``CLI_LANGUAGE=fr``), on the test database,
    in that app's own context (a command joins the context already pushed, e.g. by ``session``)."""
    french = make_app(CLI_LANGUAGE="fr")

    def invoke(*args: str, input: str | None = None):
        with french.app_context():
            return french.test_cli_runner().invoke(args=list(args), input=input)

    return invoke


@pytest.fixture
def session(app: Flask):
    """A session for arranging and inspecting data outside requests."""
    with app.app_context():
        yield db.session()


FIXED_NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Paris


@pytest.fixture
def frozen_clock() -> Iterator[list[datetime]]:
    """The app's clock stopped at FIXED_NOW; tests move it by assigning ``frozen_clock[0]``."""
    current = [FIXED_NOW]
    with clock.use_clock(lambda: current[0]):
        yield current


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send: the real algorithm, never a bypass."""
    return RequestValidator(token).compute_signature(url, params)


def signed_post(client, path: str, params: dict[str, str], token: str = AUTH_TOKEN):
    return client.post(path, data=params, headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + path, params, token)})
