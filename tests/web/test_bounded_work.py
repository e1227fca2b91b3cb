"""Issue 10, finding 2: no typed period makes the rota work for centuries, and a GP's call is answered
while web and API requests run."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from core import db
from rota.models import Leave, SwapRequest
from tests.conftest import signed_post
from tests.web.conftest import body, csrf_token, sign_in, through_preview


def _leave(browser, token: str, starts: str, ends: str):
    answer = browser.post("/me/leave/new", data={"csrf_token": token, "starts_at": starts, "ends_at": ends, "reason": ""})
    return through_preview(browser, answer)


def _leave_count(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Leave))


def test_a_1200_year_leave_is_refused_in_french_at_once(app, world):
    """Refused before any work: not one statement reads the rota (how fast that is, on a machine:
    ``python -m bench.write_lock``)."""
    from sqlalchemy import event

    browser = sign_in(app.test_client(), "senior")
    token = csrf_token(browser, "/me/leave/new")
    before = _leave_count(app)
    engine = app.extensions["recours.db"].engine
    for starts, ends, words in [
        ("3600-01-01T00:00", "4800-01-01T00:00", "Donnez une date entre le 01/01/2000 et le 31/12/2099."),
        ("2030-01-01T00:00", "2090-01-01T00:00", "Un congé dure au plus 366 jours"),
    ]:
        statements: list[str] = []

        def seen(_conn, _cursor, statement, *_args, into=statements):
            into.append(statement)

        event.listen(engine, "before_cursor_execute", seen)
        try:
            response = _leave(browser, token, starts, ends)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert response.status_code == 200 and words in body(response)
        rota_reads = [s for s in statements if any(table in s for table in ("rotation", "duty_slot", "override", "swap_request"))]
        assert rota_reads == [], rota_reads
    assert _leave_count(app) == before  # nothing saved


def test_a_2000_year_swap_through_the_api_is_a_422_naming_the_field(app, world):
    from api.tokens import create_token
    from core.actor import SYSTEM
    from rota.models import Department

    with app.app_context():
        session = db.session()
        _token, secret = create_token(session, SYSTEM, "planning", [session.get(Department, world.dept_a)], read_only=False, at=world_now())
        session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    base = {"specialty": "neurology", "requester_id": world.senior_a, "counterpart_id": world.senior_a2}
    far = client.post("/api/swaps", json={**base, "starts_at": "2026-03-10T08:00:00Z", "ends_at": "4026-03-10T08:00:00Z"}, headers=headers)
    assert far.status_code == 422 and far.json["errors"][0]["field"] == "ends_at"
    long = client.post("/api/swaps", json={**base, "starts_at": "2026-03-10T08:00:00Z", "ends_at": "2028-03-10T08:00:00Z"}, headers=headers)
    assert long.status_code == 422 and long.json["errors"][0]["field"] == "ends_at" and "31 days" in long.json["errors"][0]["message"]
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(SwapRequest)) == 2  # the world's two


def world_now():
    from tests.conftest import FIXED_NOW

    return FIXED_NOW


def test_a_gp_call_is_answered_while_seniors_post_long_periods(app, world):
    """A senior keeps posting the leave of the audit while a GP calls: the call gets its menu."""
    browser = sign_in(app.test_client(), "senior")
    token = csrf_token(browser, "/me/leave/new")
    stop = threading.Event()
    posted: list[int] = []

    def hammer() -> None:
        while not stop.is_set():
            posted.append(_leave(browser, token, "2030-01-01T00:00", "2090-01-01T00:00").status_code)

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        while not posted:
            time.sleep(0.01)
        call = {"CallSid": "CA" + "7" * 32, "AccountSid": "AC" + "0" * 32, "From": "+33199000201", "To": "+33199000000"}
        answered = signed_post(app.test_client(), "/twilio/voice", {**call, "CallStatus": "ringing"})
    finally:
        stop.set()
        thread.join()
    assert answered.status_code == 200 and "<Gather" in answered.get_data(as_text=True)
    assert set(posted) == {200}


def test_a_page_being_read_never_holds_sqlites_write_lock(app, world, database_url):
    """What makes the previous test true on SQLite: a GET's session reads in a deferred transaction, so
    a webhook's BEGIN IMMEDIATE goes through at once; a request that writes takes the lock only then."""
    import sqlite3

    import pytest
    from flask import g

    from rota.models import Senior

    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL readers never block writers")
    path = database_url.removeprefix("sqlite:///")

    def a_writer_gets_in() -> bool:
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()

    with app.test_request_context("/board"):
        db.reads_only()
        db.session().scalars(select(Senior)).all()  # a page in the middle of its reads
        assert db.reading() and a_writer_gets_in()
        reader = db.read_session()
        reader.scalars(select(Senior)).all()
        assert a_writer_gets_in()
    with app.test_request_context("/me/leave/new", method="POST"):
        assert "db_reads_only" not in g
        db.session().scalars(select(Senior)).all()  # a change's transaction holds the lock until it commits
        assert not a_writer_gets_in()
        db.session().commit()
        assert a_writer_gets_in()
