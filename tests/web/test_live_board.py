"""The live board without a browser: what each role sees, today's figures as the reports count them,
and the event stream — board first, then only changes, then ``bye`` — holding no database connection
between two reads. (tests/web/test_browser_board.py watches it update in Chromium.)
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from calllog import events as ev
from calllog import operations as calllog
from core import db
from rota.models import Senior
from rota.queries import HuntEntry
from tests.web.conftest import body, sign_in


def _events(raw: str) -> list[tuple[str, str]]:
    found = []
    for block in raw.split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        name = next((line[7:] for line in lines if line.startswith("event: ")), None)
        if name:
            found.append((name, "\n".join(line[6:] for line in lines if line.startswith("data: "))))
    return found


def test_the_board_shows_todays_figures_to_managers_and_heads_only(app, world, signed_in):
    page = body(signed_in("manager").get("/board/live"))
    assert "Tableau en direct" in page
    # Two calls today, both ending in a callback request: 0 % answered, 2 requests open.
    assert 'data-figure="answer-rate">0 %' in page and "0 sur 2 appels" in page
    assert 'data-figure="callbacks-open">2' in page and 'data-figure="in-progress">0' in page
    assert "Aucun appel en ce moment." in page
    head = body(signed_in("head").get("/board/live"))
    assert "0 sur 1 appel" in head and 'data-figure="callbacks-open">1' in head
    assert signed_in("senior").get("/board/live").status_code == 403
    assert signed_in("senior").get("/board/live/events").status_code == 403


def test_a_call_in_progress_names_the_senior_ringing(app, world, signed_in, frozen_clock):
    with app.app_context():
        session = db.session()
        senior = session.get(Senior, world.senior_a)
        call = calllog.open_call(session, "CA" + "c" * 32, "+33199000201", "+33199000000", frozen_clock[0] - timedelta(seconds=20))
        entry = HuntEntry(senior.id, senior.full_name, senior.phones[0].e164, "primary", "rotation")
        calllog.apply(session, call, [ev.SpecialtyChosen(world.neuro, (entry,)), ev.AttemptDialled(0, entry)], frozen_clock[0])
        session.commit()
    page = body(signed_in("manager").get("/board/live"))
    assert 'data-figure="in-progress">1' in page
    assert "neurologie" in page and "appel de Dr Claire Martin (principal)" in page
    assert f'href="/calls/{call.id}"' in page


def test_the_stream_sends_the_board_then_ends_and_holds_no_connection(make_app, world, frozen_clock):
    app = make_app(BOARD_POLL_SECONDS="1", BOARD_STREAM_SECONDS="5")
    client = sign_in(app.test_client(), "manager")
    response = client.get("/board/live/events", buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-store"
    chunks = (chunk.decode() for chunk in response.response)
    assert next(chunks).startswith("retry: ")
    first = next(chunks)
    assert first.startswith("event: board") and "0 sur 2 appels" in first.replace("\u00a0", " ")
    pool = app.extensions["recours.db"].engine.pool
    # Between two reads the stream holds no connection (the request's own went back before it began).
    assert pool.checkedout() == 0
    rest = "".join(chunks)
    response.close()
    names = [name for name, _data in _events(rest)]
    # Nothing changed: no second board, only the end of the stream for the browser to open the next.
    assert names == ["bye"]
