"""The browser tests' harness: Debian's Chromium, driven by Playwright, against the app served by a real
HTTP server (werkzeug) in a thread on 127.0.0.1. SQLite only, to stay fast.

Chromium comes from ``scripts/install-browser.sh``. Without it the browser tests are skipped with the
reason, except under CI=true, where they fail. One Chromium serves the whole run (``browser``); each test
module gets its own server and database (``live``), whose settings a module may change by defining its
own ``live_settings`` fixture; each test its own browser context (``page``), so no cookie leaks between
tests. Screenshots go to RECOURS_SCREENSHOTS (a temporary directory by default); the best are kept in docs/.

``tests/web/conftest.py`` imports the fixtures, so the browser test modules only ask for them.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("RECOURS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SERIOUS = ("critical", "serious")


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements.txt)"
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return f"Chromium not found at {CHROMIUM}: run scripts/install-browser.sh"
    return None


@pytest.fixture(scope="session")
def browser():
    why_not = _unavailable()
    if why_not is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires the browser tests to run: {why_not}")
        pytest.skip(why_not)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Live:
    """The served app: its address, what its database was filled with, and the app itself. Unpacks as
    ``base, world = live``."""

    base: str
    world: Any
    app: Any

    def __iter__(self):
        return iter((self.base, self.world))

    def arrange(self, change: Callable[[Any], Any]) -> Any:
        """Change the served database as an administrator would from the CLI (SYSTEM), committed."""
        from core import db

        with self.app.app_context():
            session = db.session()
            result = change(session)
            session.commit()
            return result


def build_test_world(session, now):
    """The default filling of ``live``: the small hospital of ``tests/web/conftest.py``, built at now."""
    from tests.web.conftest import build_world

    return build_world(session, now)


@pytest.fixture(scope="module")
def live_settings() -> dict[str, str]:
    """Settings of the served app besides the tests' own (a module overrides this fixture to change them)."""
    return {}


@pytest.fixture(scope="module")
def live_filling() -> Callable[[Any, Any], Any]:
    """What fills the served database, given (session, now); returns the module's ``live.world``."""
    return build_test_world


@pytest.fixture(scope="module")
def live(tmp_path_factory, browser, live_settings, live_filling) -> Iterator[Live]:
    """The app on a fresh SQLite database, served over HTTP in a thread, filled at now."""
    from argon2 import PasswordHasher
    from werkzeug.serving import make_server

    from accounts import passwords
    from app import create_app
    from core import clock, db, migrations
    from tests.conftest import settings_for

    previous = passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'recours.sqlite3'}"
    app = create_app(settings_for(url, PUBLIC_BASE_URL=base, **live_settings))
    with clock.use_clock(_away_from_midnight()):
        with app.app_context():
            migrations.upgrade(db.database().engine)
            world = live_filling(db.session(), clock.now())
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Live(base, world, app)
        finally:
            server.shutdown()
            thread.join(5)
            app.extensions["recours.db"].dispose()
            passwords.use_hasher(previous)


def _away_from_midnight():
    """The real clock, moving in real time, but two hours away from midnight in Paris when it is near.
    The pages count "today" in Paris (the call log's day, the board's figures) and the world's calls
    are filled 40 and 50 minutes before now: run just after midnight, they fell on the day before and
    the call log showed "0 appel" (seen at 00:30 Paris time)."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from core import clock

    paris = clock.now().astimezone(ZoneInfo("Europe/Paris"))
    shift = timedelta(hours=2) if paris.hour < 1 else -timedelta(hours=2) if paris.hour >= 22 else timedelta(0)
    return lambda: datetime.now(UTC) + shift


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    target = Path(os.environ.get("RECOURS_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    target.mkdir(parents=True, exist_ok=True)
    return target


def new_page(browser, viewport: dict[str, int] = DESKTOP, *, timeout_ms: int = 15_000, **options):
    """A tab in a context of its own (its own cookies), in French as a French user's browser asks."""
    context = browser.new_context(viewport=viewport, locale="fr-FR", **options)
    context.set_default_timeout(timeout_ms)
    return context.new_page()


@pytest.fixture
def page(browser, live):
    tab = new_page(browser)
    yield tab
    tab.context.close()


# Where a sign-in without ``next`` leads each role (web/auth.py's start page).
LANDING = {"secretariat": "/urgent-slots"}


def sign_in(page, base: str, role: str, *, email: str | None = None, password: str | None = None) -> None:
    """Through the real form, as a person types it; waits for the role's start page."""
    from tests.web.conftest import EMAILS, PASSWORD

    page.goto(f"{base}/sign-in")
    page.get_by_label("Adresse e-mail").fill(email or EMAILS[role])
    page.get_by_label("Mot de passe").fill(password or PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(f"{base}{LANDING.get(role, '/board')}")


def axe_violations(page, impacts: tuple[str, ...] = SERIOUS) -> list[str]:
    """axe-core's findings of these impacts on the page as it is now, one line each: the rule, its impact,
    what it asks and the elements (CSS selectors) that break it."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.response["testEngine"]["name"] == "axe-core" and results.response["passes"], "axe did not run"
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v["impact"] in impacts
    ]


def scrolls_sideways(page) -> bool:
    return not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
