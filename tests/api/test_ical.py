"""Calendar feeds: flask ical link|revoke, events from the rota engine in Europe/Paris, stable UIDs."""

from __future__ import annotations

from icalendar import Calendar

from core.actor import SYSTEM
from rota import operations
from tests.conftest import PUBLIC_BASE_URL
from tests.rota.builders import utc


def _link(runner, *args: str) -> str:
    result = runner.invoke(args=["ical", "link", *args])
    assert result.exit_code == 0, result.output
    url = result.stdout.strip().splitlines()[-1]
    assert url.startswith(f"{PUBLIC_BASE_URL}/calendars/") and url.endswith(".ics")
    return url.removeprefix(PUBLIC_BASE_URL)


def _events(client, path: str):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    assert any(tz.get("tzid") == "Europe/Paris" for tz in calendar.walk("VTIMEZONE"))
    return response.data, calendar.walk("VEVENT")


def test_senior_feed_follows_the_rota_leave_and_overrides(client, runner, session, world):
    operations.add_leave(session, SYSTEM, world.alice, utc(2026, 3, 16), utc(2026, 3, 21))  # her turn week: Bob, next in turn, stands in
    operations.add_override(session, SYSTEM, world.neuro_id, world.bob, world.carol, utc(2026, 3, 11, 7, 30), utc(2026, 3, 11, 17, 30))
    session.commit()
    bob = _link(runner, "senior", str(world.bob))
    carol = _link(runner, "senior", str(world.carol))
    alice_feed = _link(runner, "senior", str(world.alice))
    _, bob_events = _events(client, bob)
    starts = [e.decoded("dtstart") for e in bob_events]
    assert all(str(e["dtstart"].params["TZID"]) == "Europe/Paris" for e in bob_events)
    march_10 = next(e for e in bob_events if e.decoded("dtstart").date().isoformat() == "2026-03-10")
    assert march_10.decoded("dtstart").strftime("%H:%M %Z") == "08:30 CET" and march_10.decoded("dtend").strftime("%H:%M") == "18:30"
    assert not any(s.date().isoformat() == "2026-03-11" for s in starts)  # Carol replaces him that day
    assert any(s.date().isoformat() == "2026-03-17" for s in starts)  # he stands in for Alice on leave
    _, carol_events = _events(client, carol)
    assert [e.decoded("dtstart").date().isoformat() for e in carol_events] == ["2026-03-11"]
    _, alice_events = _events(client, alice_feed)
    assert alice_events and not any("2026-03-16" <= e.decoded("dtstart").date().isoformat() < "2026-03-21" for e in alice_events)


def test_specialty_feed_uids_are_stable_and_links_revocable(client, runner, session, world):
    path = _link(runner, "specialty", "NEURO")
    _, events = _events(client, path)
    second, _ = _events(client, path)
    uids = [str(e["uid"]) for e in events]
    assert len(uids) == len(set(uids)) and uids == [str(e["uid"]) for e in Calendar.from_ical(second).walk("VEVENT")]
    assert any("Alice Martin" in str(e["summary"]) for e in events) and any("Bob Durand" in str(e["summary"]) for e in events)
    # Summer time: the same 08:30 local start, an hour earlier in UTC.
    april = next(e for e in events if e.decoded("dtstart").date().isoformat() == "2026-04-01")
    assert april.decoded("dtstart").strftime("%H:%M %Z") == "08:30 CEST"
    listed = runner.invoke(args=["ical", "list"]).output
    feed_id = listed.split()[0].lstrip("#")
    assert runner.invoke(args=["ical", "revoke", feed_id]).exit_code == 0
    assert client.get(path).status_code == 404
    assert client.get("/calendars/guessed.ics").status_code == 404
    assert "no specialty" in runner.invoke(args=["ical", "link", "specialty", "NOPE"]).output
