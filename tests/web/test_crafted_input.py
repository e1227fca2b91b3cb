"""Issue 10, finding 6: the crafted URLs of the audit, each answered 4xx in French, never 500."""

from __future__ import annotations

import pytest

from tests.conftest import FIXED_NOW
from tests.web.conftest import body, csrf_token, sign_in

CRAFTED = [
    ("admin", "/specialties/{neuro}/week?start=9999-12-31", 400),
    ("admin", "/specialties/{neuro}/week?start=0001-01-01", 400),
    ("admin", "/specialties/{neuro}/month?month=9999-12", 400),
    ("admin", "/specialties/{neuro}/month?month=2026-13", 400),
    ("admin", "/reports/?from=0001-01-01&to=0001-01-02", 400),
    ("admin", "/shifts/99999999999999999999/edit", 404),
    ("admin", "/gps?page=99999999999999999999", 400),
    ("admin", "/audit?page=99999999999999999999", 400),
    ("admin", "/audit?department=99999999999999999999", 400),
    ("admin", "/seniors?department=99999999999999999999", 400),
    ("admin", "/seniors?department=", 200),
    ("senior", "/me/swaps/new?start=x&end=y", 200),
    ("senior", "/me/swaps/new?start=9999-12-31T00:00:00%2B00:00&end=9999-12-31T01:00:00%2B00:00", 200),
]


@pytest.mark.parametrize(("role", "path", "status"), CRAFTED)
def test_each_crafted_url_is_answered_in_french_without_a_server_error(app, world, role, path, status):
    response = sign_in(app.test_client(), role).get(path.format(neuro=world.neuro))
    assert response.status_code == status, body(response)[:500]
    if status == 400:
        page = body(response)
        assert "entre le 01/01/2000 et le 31/12/2099" in page or "doit être un nombre entier entre" in page, page


def test_a_next_parameter_with_crlf_does_not_split_the_redirect(app, world):
    browser = app.test_client()
    response = browser.post(
        "/sign-in?next=/board%0D%0ASet-Cookie:%20x=1",
        data={"csrf_token": csrf_token(browser), "email": "admin@hopital.fr", "password": "a long enough test password"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/board"
    assert "x=1" not in " ".join(response.headers.getlist("Set-Cookie"))


def test_an_api_id_beyond_64_bits_is_a_404_problem(app, world):
    from api.tokens import create_token
    from core import db
    from core.actor import SYSTEM
    from rota.models import Department

    with app.app_context():
        session = db.session()
        _token, secret = create_token(session, SYSTEM, "planning", [session.get(Department, world.dept_a)], read_only=False, at=FIXED_NOW)
        session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    response = app.test_client().post("/api/swaps/9223372036854775808/approve", json={"senior_id": world.head_a_senior}, headers=headers)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_a_body_over_a_megabyte_is_refused_before_it_is_read(app, world):
    response = app.test_client().post("/sign-in", data={"email": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
