"""How long a web request holds SQLite's write lock, the time a GP's call may wait behind it.

``python -m bench.write_lock``: the test hospital on a fresh SQLite file; a senior declares a 300-day
leave through the real page, which judges it (two what-if expansions of their specialties over the
period) in a read-only session before its write. The baseline does the same work the way the page did
before issue 10: the expansions inside the write transaction. Each runs alternately (A B A B), the
write lock's hold is timed from ``BEGIN IMMEDIATE`` to its end, and the ratio is printed. A GET of a
month's rota (expanded for the page) is timed too: it takes no write lock at all.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import event

from accounts import passwords
from app import create_app
from core import clock, db, migrations
from rota import operations
from rota.ical import senior_specialty_ids
from tests.conftest import FIXED_NOW, settings_for
from tests.web.conftest import build_world, csrf_token, sign_in
from web.my_duty import gap_seconds

ROUNDS = 7


def _hospital(folder: Path):
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    engine = db.make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    app = create_app(settings_for(url))
    holds: list[float] = []
    started: dict[int, float] = {}
    engine = app.extensions["recours.db"].engine

    @event.listens_for(engine, "begin")
    def _begun(connection) -> None:
        if not connection.get_execution_options().get(db.READS_ONLY):
            started[id(connection)] = time.perf_counter()

    def _ended(connection) -> None:
        begun = started.pop(id(connection), None)
        if begun is not None:
            holds.append(time.perf_counter() - begun)

    event.listen(engine, "commit", _ended)
    event.listen(engine, "rollback", _ended)
    with app.app_context():
        world = build_world(db.session())
    return app, world, holds


def _page(app, world, holds, start_day: int) -> float:
    """The leave page: the longest write-lock hold of the request."""
    browser = sign_in(app.test_client(), "senior")
    token = csrf_token(browser, "/me/leave/new")
    holds.clear()
    starts = f"2027-{1 + start_day % 12:02d}-01T00:00"
    response = browser.post("/me/leave/new", data={"csrf_token": token, "starts_at": starts, "ends_at": "2027-12-28T00:00"})
    assert response.status_code in (200, 302), response.status_code
    return max(holds)


def _baseline(app, world, holds) -> float:
    """Before issue 10: the same two expansions inside the write transaction of the leave."""
    from datetime import UTC, datetime

    holds.clear()
    with app.app_context():
        session = db.session()
        starts, ends = datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 12, 28, tzinfo=UTC)
        ids = senior_specialty_ids(session, world.senior_a)
        gap_seconds(session, ids, starts, ends)
        operations.add_leave(session, world.senior_a, starts, ends, "")
        gap_seconds(session, ids, starts, ends)
        session.rollback()
    return max(holds)


def _month(app, holds) -> tuple[float, int]:
    browser = sign_in(app.test_client(), "admin")
    holds.clear()
    started = time.perf_counter()
    assert browser.get("/specialties/1/month?month=2026-03").status_code == 200
    return time.perf_counter() - started, len(holds)


def main() -> None:
    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    with tempfile.TemporaryDirectory() as folder, clock.use_clock(lambda: FIXED_NOW):
        app, world, holds = _hospital(Path(folder))
        page, baseline = [], []
        for round_ in range(ROUNDS):  # A B A B
            page.append(_page(app, world, holds, round_))
            baseline.append(_baseline(app, world, holds))
        month_time, month_locks = _month(app, holds)
    p, b = statistics.median(page), statistics.median(baseline)
    print("write lock held by a senior's 300-day leave (median of", ROUNDS, "rounds, A B A B)")
    print(f"  page now (judged in a read-only session first): {p * 1000:8.2f} ms  (max {max(page) * 1000:.2f})")
    print(f"  baseline (expansions inside the write):         {b * 1000:8.2f} ms  (max {max(baseline) * 1000:.2f})")
    print(f"  ratio baseline / now: {b / p:.1f}x")
    print(f"month page GET: {month_time * 1000:.1f} ms, write transactions: {month_locks}")


if __name__ == "__main__":
    main()
