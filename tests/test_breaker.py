"""The database breaker (core.breaker): open on an outage, refuse at once while open, one probe after
the cool-down, closed by the next statement that succeeds. Its clock is a counter the test moves."""

from __future__ import annotations

import pytest
from sqlalchemy import exc

from core import deadline
from core.breaker import DatabaseBreaker, DatabaseUnavailable, is_outage


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_closed_it_lets_everyone_through_and_an_outage_opens_it_for_its_cool_down():
    clock = Clock()
    breaker = DatabaseBreaker(6.0, clock)
    assert breaker.allows(3.0) and breaker.allows(3.0)
    breaker.trip(deadline.DeadlineExceeded("no answer within the budget"))
    assert breaker.is_open and breaker.opened == 1
    clock.now += 5.9
    assert not breaker.allows(3.0) and not breaker.allows(3.0)
    assert breaker.turned_away == 2
    assert breaker.state() == {
        "open": True,
        "retry_in_seconds": 0.1,
        "opened": 1,
        "reason": "DeadlineExceeded: no answer within the budget",
    }


def test_after_the_cool_down_one_probe_goes_through_and_the_others_still_do_not_wait():
    clock = Clock()
    breaker = DatabaseBreaker(6.0, clock)
    breaker.trip(deadline.DeadlineExceeded("hung"))
    clock.now += 6.0
    assert breaker.allows(3.0)  # the probe
    assert not breaker.allows(3.0)  # while it is out
    clock.now += 3.0
    assert breaker.allows(3.0)  # the probe never came back: another one
    breaker.trip(deadline.DeadlineExceeded("still hung"))  # it failed: a new cool-down, still one opening
    assert not breaker.allows(3.0) and breaker.opened == 1
    breaker.close()
    assert breaker.allows(3.0) and breaker.state()["open"] is False and breaker.state()["reason"] is None


def test_zero_seconds_never_opens():
    breaker = DatabaseBreaker(0, Clock())
    breaker.trip(deadline.DeadlineExceeded("hung"))
    assert not breaker.is_open and breaker.allows(3.0)


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (deadline.DeadlineExceeded("cut"), True),
        (exc.TimeoutError("QueuePool limit reached"), True),
        (exc.OperationalError("SELECT 1", {}, deadline.DeadlineExceeded("cut")), True),
        (exc.OperationalError("SELECT 1", {}, Exception("database is locked")), False),  # SQLite busy: not away
        (exc.IntegrityError("INSERT", {}, Exception("duplicate key")), False),  # a refused fact
        (DatabaseUnavailable("open"), False),  # the breaker's own refusal is not a new outage
    ],
)
def test_only_failures_that_say_the_database_is_away_count(error, outage):
    assert is_outage(error) is outage


def test_a_webhook_session_refuses_at_once_while_open_and_a_statement_that_succeeds_closes_it(make_app, database_url):
    from sqlalchemy import text

    app = make_app()
    database = app.extensions["recours.db"]
    if database_url.startswith("sqlite"):
        assert database.breaker.seconds == 0  # a local file is never away
        return
    database.breaker.trip(deadline.DeadlineExceeded("hung"))
    with database.webhook_sessions() as session, pytest.raises(DatabaseUnavailable):
        session.execute(text("SELECT 1"))
    with database.writer_sessions() as session:  # the journal's writer is not turned away...
        assert session.execute(text("SELECT 1")).scalar() == 1
    assert not database.breaker.is_open  # ...and its success closes the breaker
    with database.webhook_sessions() as session:
        assert session.execute(text("SELECT 1")).scalar() == 1


def test_an_explicit_transaction_is_refused_too_and_the_probe_keeps_its_session(make_app, database_url):
    from sqlalchemy import text

    app = make_app()
    database = app.extensions["recours.db"]
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has no breaker: a local file is never away (checked above)")
    database.breaker.trip(deadline.DeadlineExceeded("hung"))
    # The failure note of a webhook opens its own transaction first (webhooks.views._note_failure).
    with pytest.raises(DatabaseUnavailable), database.webhook_sessions() as session, session.begin():
        session.execute(text("SELECT 1"))
    database.breaker._open_until = 0.0  # the cool-down is over: the next session is the probe
    with database.webhook_sessions() as probe:
        probe.connection()  # the probe is let through (it has not been answered yet)
        with database.webhook_sessions() as other, pytest.raises(DatabaseUnavailable):
            other.execute(text("SELECT 1"))  # while the probe is out, the others still do not wait
        assert probe.execute(text("SELECT 1")).scalar() == 1
        assert probe.execute(text("SELECT 2")).scalar() == 2  # its second statement is not turned away
    assert not database.breaker.is_open
