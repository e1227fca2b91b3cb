"""Who may read the reports: the access matrix's ``reports.view`` through the real sign-in form.

Administrators and managers see every department; a head of department sees only their own; a senior
sees nothing; an anonymous visitor is sent to sign in (the JSON endpoint answers 401). No test switches
the check off: the "open" mode is a deployment setting, tested as such.
"""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from accounts import passwords
from core import db
from core.config import ConfigError
from tests.web.conftest import build_world, sign_in

QUERY = "from=2026-03-01&to=2026-03-10"


@pytest.fixture(autouse=True)
def cheap_password_hashing():
    """Argon2id with tiny parameters: the same code path and a real check, much faster."""
    previous = passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    yield
    passwords.use_hasher(previous)


@pytest.fixture
def world(app, frozen_clock):
    with app.app_context():
        return build_world(db.session())


def test_by_default_the_reports_are_behind_the_sign_in(app, world):
    client = app.test_client()
    page = client.get(f"/reports/?{QUERY}")
    assert page.status_code == 302 and "/sign-in" in page.headers["Location"] and "next=" in page.headers["Location"]
    assert client.get(f"/api/reports/summary?{QUERY}").status_code == 401
    assert client.get(f"/reports/seniors.csv?{QUERY}").status_code == 302


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_administrators_and_managers_see_the_whole_hotline(app, world, role):
    client = sign_in(app.test_client(), role)
    body = client.get(f"/api/reports/summary?{QUERY}").get_json()
    assert body["scope"]["whole_hotline"] and body["scope"]["specialties"] == ["neurology", "cardiology"]
    assert client.get(f"/reports/?{QUERY}&specialty=cardiology").status_code == 200
    assert client.get(f"/reports/unanswered?{QUERY}").status_code == 200


def test_a_head_sees_only_their_departments(app, world):
    client = sign_in(app.test_client(), "head")  # heads department A, neurology
    body = client.get(f"/api/reports/summary?{QUERY}").get_json()
    assert not body["scope"]["whole_hotline"] and body["scope"]["specialties"] == ["neurology"]
    assert body["scope"]["label"] == "Neurosciences"
    assert client.get(f"/api/reports/summary?{QUERY}&specialty=cardiology").status_code == 400
    assert client.get(f"/api/reports/summary?{QUERY}&department={world.dept_b}").status_code == 400
    page = client.get(f"/reports/?{QUERY}").get_data(as_text=True)
    assert 'value="neurology"' in page and 'value="cardiology"' not in page


def test_a_senior_may_not(app, world):
    client = sign_in(app.test_client(), "senior")
    assert client.get(f"/reports/?{QUERY}").status_code == 403
    assert client.get(f"/api/reports/summary?{QUERY}").status_code == 403
    assert client.get(f"/reports/charts/heat_map.svg?{QUERY}").status_code == 403


def test_off_registers_nothing(make_app):
    client = make_app(REPORTS_WEB="off").test_client()
    assert client.get("/reports/").status_code == 404 and client.get("/api/reports/summary").status_code == 404


def test_open_needs_no_sign_in(make_app):
    client = make_app(REPORTS_WEB="open").test_client()
    assert client.get(f"/api/reports/summary?{QUERY}").status_code == 200


def test_an_unknown_mode_stops_the_start(make_app):
    with pytest.raises(ConfigError, match="REPORTS_WEB must be one of accounts, off, open"):
        make_app(REPORTS_WEB="yes")
