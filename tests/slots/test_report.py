"""Urgent slots in the report, through ``flask report`` as IT types it and the report page: offered,
used, confirmed, cancelled and released, per specialty and month."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select

from core.actor import SYSTEM, Actor
from slots import operations as slots
from slots.models import UrgentSlot
from tests.hospital import GP_KNOWN


def test_flask_report_counts_urgent_slots_offered_used_and_released(app, session, slot_hospital, frozen_clock):
    h = slot_hospital.hospital
    now = frozen_clock[0]
    first = slots.next_free_slot(session, h.neurology_id, now)  # Tuesday 10 March 16:30
    confirmed = slots.book_slot(session, SYSTEM, first.id, senior_id=h.primary_id, gp_e164=GP_KNOWN)
    slots.confirm_booking(session, SYSTEM, confirmed.code)
    second = slots.next_free_slot(session, h.neurology_id, now)
    cancelled = slots.book_slot(session, SYSTEM, second.id, senior_id=h.primary_id, gp_e164=GP_KNOWN)
    slots.cancel_booking(session, SYSTEM, cancelled.code, by="gp")
    third = slots.next_free_slot(session, h.neurology_id, second.starts_at)
    slots.book_slot(session, SYSTEM, third.id, senior_id=h.primary_id, gp_e164=GP_KNOWN)
    # The scheduler releases whatever nobody held at its cut-off, up to Friday 13 March 18:00.
    slots.release_due(session, Actor.scheduler("urgent-slots"), now + timedelta(days=3, hours=8))
    session.commit()
    offered = session.scalars(select(UrgentSlot)).all()
    released = sum(1 for s in offered if s.status.value == "released")
    assert released > 0
    result = app.test_cli_runner().invoke(args=["report", "--from", "2026-03-01", "--to", "2026-03-31", "--csv", "--table", "urgent_slots"])
    assert result.exit_code == 0, result.output
    table = list(csv.reader(io.StringIO(result.output)))
    assert table[0] == [
        "specialty",
        "month",
        "offered",
        "used",
        "confirmed by the patient",
        "bookings cancelled",
        "released to the secretariat",
    ]
    assert table[1:] == [["neurologie", "2026-03", str(len(offered)), "2", "1", "1", str(released)]]
    # A month without slots of the specialty has no row.
    empty = app.test_cli_runner().invoke(args=["report", "--from", "2026-05-01", "--to", "2026-05-31", "--table", "urgent_slots"])
    assert "Urgent slots by specialty and month" in empty.output and "neurologie" not in empty.output


def test_the_report_page_shows_urgent_slots_in_french(app, session, slot_hospital, frozen_clock):
    from accounts import operations as accounts
    from tests.web.conftest import CSRF

    h = slot_hospital.hospital
    slot = slots.next_free_slot(session, h.neurology_id, frozen_clock[0])
    slots.book_slot(session, SYSTEM, slot.id, senior_id=h.primary_id, gp_e164=GP_KNOWN)
    accounts.create_user(
        session, SYSTEM, email="cadre@hopital.fr", full_name="Cadre", role="manager", password="a long enough test password"
    )
    session.commit()
    browser = app.test_client()
    token = CSRF.search(browser.get("/sign-in").get_data(as_text=True)).group(1)
    browser.post("/sign-in", data={"csrf_token": token, "email": "cadre@hopital.fr", "password": "a long enough test password"})
    page = browser.get("/reports/?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert "Créneaux urgents par spécialité et par mois" in page and "<td>neurologie</td>" in page
    download = browser.get("/reports/urgent_slots.csv?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert download.lstrip("\ufeff").startswith("spécialité;mois;proposés;utilisés")
