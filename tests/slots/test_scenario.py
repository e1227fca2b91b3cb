"""Issue 14's proof for urgent slots, through the simulator and the real, signed webhooks: a GP calls,
the neurologist on duty accepts, talks, and texts ``URG``; the GP gets the SMS with the day, time, place
and code; the secretariat's e-mail goes out; the secretariat's desk shows the GP and the code; the GP
cancels by SMS reply; an unbooked slot is released at its cut-off by the scheduler's job."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from core import clock
from notify.providers import use_twilio_http_client
from scheduler.jobs import run_job
from simulator import Accepts, FlaskTransport, Key, Simulator
from slots.models import BookingStatus, SlotBooking, SlotStatus, UrgentSlot
from tests.callbacks.support import SmtpServer
from tests.conftest import AUTH_TOKEN, FIXED_NOW, HOTLINE, PUBLIC_BASE_URL
from tests.hospital import GP_KNOWN, GP_UNKNOWN, PRIMARY
from tests.slots.conftest import PASSWORD, SECRETARIAT_EMAIL, build_slot_hospital


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def app(make_app, smtp_server):
    return make_app(
        NOTIFY_BACKEND="live",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_server.port),
        SMTP_STARTTLS="false",
        MAIL_FROM="recours@hopital.example.org",
    )


@pytest.fixture
def simulator(app):
    sim = Simulator(FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=FIXED_NOW)
    with use_twilio_http_client(lambda: sim.rest), clock.use_clock(sim.now):
        yield sim


@pytest.fixture
def slot_hospital(session):
    with clock.use_clock(lambda: FIXED_NOW):
        return build_slot_hospital(session, FIXED_NOW)


def _call_accepted(simulator, session, from_: str = GP_KNOWN) -> None:
    result = simulator.call(from_=from_, to=HOTLINE, gp=[Key("1")], callees={PRIMARY: Accepts(after=3, talk=90)})
    assert result.errors == [], result.transcript()
    assert result.bridged_to == PRIMARY, result.transcript()
    session.rollback()


def test_a_senior_books_by_sms_the_gp_gets_the_code_and_the_secretariat_is_told(app, session, simulator, slot_hospital, smtp_server):
    _call_accepted(simulator, session)
    reply = simulator.reply_sms(from_=PRIMARY, body="urg")
    booking = session.scalars(select(SlotBooking)).one()
    session.expunge(booking)  # read, then no transaction left open: the jobs below need SQLite's write lock
    session.rollback()
    # The senior's answer: the code, the GP, when.
    assert booking.code in reply and "Dr Alice Renaud" in reply and "16:30" in reply and "mardi 10/03" in reply
    # The GP's SMS went out at once through Twilio's REST API, from the hotline, in French, with the code.
    to_gp = [sms for sms in simulator.sms if sms.to == GP_KNOWN]
    assert len(to_gp) == 1
    text = to_gp[0].body
    assert "créneau urgent de neurologie" in text and "mardi 10/03 à 16:30" in text and "Batiment B, 2e étage" in text
    assert f"Code à donner au patient : {booking.code}" in text and f"ANNULER {booking.code}" in text
    assert booking.senior_id == slot_hospital.hospital.primary_id and booking.gp_e164 == GP_KNOWN and booking.call_id is not None
    # The secretariat's e-mail goes with the next delivery (the scheduler's).
    with app.app_context():
        assert run_job("urgent-slots") == "ok"
    mail = [message for _sender, recipients, message in smtp_server.received if SECRETARIAT_EMAIL in recipients]
    assert len(mail) == 1 and booking.code in mail[0].get_content() and "Dr Claire Martin" in mail[0].get_content()
    # A second URG for the same call is refused: one slot per call.
    again = simulator.reply_sms(from_=PRIMARY, body="URG")
    assert f"Un créneau urgent est déjà réservé pour cet appel (code {booking.code})." in again
    # The secretariat's desk shows the GP and the code.
    desk = app.test_client()
    from tests.web.conftest import CSRF

    token = CSRF.search(desk.get("/sign-in").get_data(as_text=True)).group(1)
    assert desk.post("/sign-in", data={"csrf_token": token, "email": SECRETARIAT_EMAIL, "password": PASSWORD}).status_code == 302
    page = desk.get("/urgent-slots").get_data(as_text=True)
    assert booking.code in page and "Dr Alice Renaud" in page


def test_the_gp_cancels_by_replying_and_only_from_their_own_number(app, session, simulator, slot_hospital):
    _call_accepted(simulator, session)
    simulator.reply_sms(from_=PRIMARY, body="CRÉNEAU")
    code = session.scalars(select(SlotBooking.code)).one()
    session.rollback()
    stranger = simulator.reply_sms(from_="+33612345678", body=f"ANNULER {code}")
    assert stranger is None or code not in stranger or "aucun créneau" in stranger.lower()
    wrong = simulator.reply_sms(from_=GP_KNOWN, body="ANNULER ZZZZ9")
    assert wrong == "Recours : aucun créneau urgent réservé pour vous n'a le code ZZZZ9."
    done = simulator.reply_sms(from_=GP_KNOWN, body=f"annuler {code[:2].lower()} {code[2:].lower()}")
    assert f"créneau urgent {code} du mardi 10/03 à 16:30 annulé" in done
    session.expire_all()
    booking = session.scalars(select(SlotBooking)).one()
    assert booking.status is BookingStatus.CANCELLED and booking.cancelled_by == "gp" and booking.slot.status is SlotStatus.OPEN
    session.expunge_all()
    session.rollback()
    assert "déjà annulé" in simulator.reply_sms(from_=GP_KNOWN, body=f"ANNULER {code}")
    assert "ANNULER suivi de son code" in simulator.reply_sms(from_=GP_KNOWN, body="merci")


def test_urg_without_a_call_or_from_a_hidden_number_is_refused_with_the_reason(app, session, simulator, slot_hospital):
    assert "aucun appel pris par vous" in simulator.reply_sms(from_=PRIMARY, body="URG").lower()
    _call_accepted(simulator, session, from_="anonymous")
    refused = simulator.reply_sms(from_=PRIMARY, body="URG")
    assert "Le numéro du médecin est masqué ou inconnu" in refused
    assert session.scalars(select(SlotBooking)).all() == []
    session.rollback()


def test_an_unbooked_slot_is_released_at_its_cut_off(app, session, simulator, slot_hospital):
    first_id, cutoff = session.execute(select(UrgentSlot.id, UrgentSlot.cutoff_at).order_by(UrgentSlot.starts_at)).first()
    session.rollback()
    with clock.use_clock(lambda: cutoff), app.app_context():
        assert run_job("urgent-slots") == "ok"
    session.expire_all()
    released = session.get(UrgentSlot, first_id)
    assert released.status is SlotStatus.RELEASED and released.released_at == cutoff
    # Later slots are still free for the seniors.
    assert session.scalars(select(UrgentSlot.id).where(UrgentSlot.status == SlotStatus.OPEN)).first() is not None
    session.expunge_all()
    session.rollback()
    # The unknown GP number of the fixture is not a GP with a booking: nothing to answer.
    assert simulator.reply_sms(from_=GP_UNKNOWN, body="bonjour") is None
