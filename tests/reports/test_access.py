"""Who may read the reports: the access matrix's ``reports.view`` through the real sign-in form.

Administrators and managers see every department; a head of department sees only their own; a senior
sees nothing; an anonymous visitor is sent to sign in (the JSON endpoint answers 401). No test switches
the check off: the "open" mode is a deployment setting, tested as such.
"""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from accounts import passwords
from accounts.models import User
from api.tokens import create_token, revoke_token
from core import db
from core.actor import SYSTEM
from core.config import ConfigError
from rota.models import Department
from tests.conftest import FIXED_NOW
from tests.web.conftest import EMAILS, build_world, sign_in

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


@pytest.fixture
def tokens(app, world):
    """A read-only token, a department-scoped writer and a revoked one."""
    with app.app_context():
        session = db.session()
        _, reader = create_token(session, SYSTEM, "dashboard", [], read_only=True, at=FIXED_NOW)
        _, writer = create_token(session, SYSTEM, "planning", [session.get(Department, world.dept_b)], read_only=False, at=FIXED_NOW)
        gone, revoked = create_token(session, SYSTEM, "old", [], read_only=True, at=FIXED_NOW)
        revoke_token(session, SYSTEM, gone.id, FIXED_NOW)
        session.commit()
    return {"reader": reader, "writer": writer, "revoked": revoked}


@pytest.mark.parametrize("path", ["/api/reports/summary", "/api/reports/unanswered"])
def test_the_json_endpoints_accept_any_live_api_token(app, tokens, path):
    client = app.test_client()
    for name in ("reader", "writer"):
        response = client.get(f"{path}?{QUERY}", headers={"Authorization": f"Bearer {tokens[name]}"})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["scope"]["whole_hotline"]
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/api/reports/summary", "/api/reports/unanswered"])
def test_no_usable_credentials_is_a_401_problem(app, tokens, path):
    client = app.test_client()
    revoked = {"Authorization": f"Bearer {tokens['revoked']}"}
    for headers in ({}, {"Authorization": "Bearer rcs_nope"}, revoked, {"Authorization": "Basic abc"}):
        response = client.get(f"{path}?{QUERY}", headers=headers)
        assert response.status_code == 401, headers
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == 401 and response.get_json()["detail"]
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="recours"')
    bad = client.get(f"{path}?{QUERY}", headers=revoked)
    assert 'error="invalid_token"' in bad.headers["WWW-Authenticate"]


def test_a_bad_token_is_refused_even_with_a_session(app, tokens):
    """An Authorization header is judged on its own: a revoked token does not fall back to the cookie."""
    client = sign_in(app.test_client(), "manager")
    assert client.get(f"/api/reports/summary?{QUERY}").status_code == 200
    assert client.get(f"/api/reports/summary?{QUERY}", headers={"Authorization": f"Bearer {tokens['revoked']}"}).status_code == 401


def test_a_token_opens_neither_the_pages_nor_the_downloads(app, tokens):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['reader']}"}
    assert client.get(f"/reports/?{QUERY}", headers=headers).status_code == 302
    assert client.get(f"/reports/seniors.csv?{QUERY}", headers=headers).status_code == 302


def test_a_senior_gets_a_403_problem_on_the_json(app, world):
    response = sign_in(app.test_client(), "senior").get(f"/api/reports/unanswered?{QUERY}")
    assert response.status_code == 403 and response.mimetype == "application/problem+json"


def test_the_pages_are_inside_the_web_app_in_the_users_language(app, world):
    client = sign_in(app.test_client(), "manager")
    page = client.get(f"/reports/?{QUERY}").get_data(as_text=True)
    assert '<html lang="fr">' in page and 'aria-current="page">Rapports</a>' in page and "Déconnexion" in page
    assert "Rapport d&#39;appels" in page
    with app.app_context():
        db.session().scalar(select(User).where(User.email == EMAILS["manager"])).language = "en"
        db.session().commit()
    page = client.get(f"/reports/unanswered?{QUERY}").get_data(as_text=True)
    assert '<html lang="en">' in page and ">Reports</a>" in page and "Unanswered calls: whole hotline" in page


def test_off_registers_nothing(make_app):
    client = make_app(REPORTS_WEB="off").test_client()
    assert client.get("/reports/").status_code == 404 and client.get("/api/reports/summary").status_code == 404


def test_open_needs_no_sign_in(make_app):
    client = make_app(REPORTS_WEB="open").test_client()
    assert client.get(f"/api/reports/summary?{QUERY}").status_code == 200


def test_an_unknown_mode_stops_the_start(make_app):
    with pytest.raises(ConfigError, match="REPORTS_WEB must be one of accounts, off, open"):
        make_app(REPORTS_WEB="yes")
