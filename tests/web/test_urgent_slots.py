"""Urgent slots on the web, as the secretariat and the heads use them, read in French: the desk lists
today's and tomorrow's bookings with the GP and the code, confirms a code the patient reads out, cancels
(the GP is texted); a head publishes a pattern, is told what is wrong with a bad one next to the field,
and adds a one-off; an administrator gives a secretariat account its departments."""

from __future__ import annotations

from sqlalchemy import select

from accounts.models import SecretariatDepartment, User
from notify.models import OutboundMessage
from slots.models import BookingStatus, SlotBooking, SlotPattern, SlotStatus, UrgentSlot
from tests.web.conftest import PASSWORD, body, csrf_token


def test_a_secretariat_lands_on_its_desk_and_sees_its_departments_bookings_only(app, world, signed_in, read):
    desk = app.test_client()
    signing_in = desk.post("/sign-in", data={"csrf_token": csrf_token(desk), "email": "secretariat@hopital.fr", "password": PASSWORD})
    assert signing_in.headers["Location"] == "/urgent-slots"  # its only page is where it starts
    page = body(desk.get("/urgent-slots"))
    with read() as session:
        mine = session.get(SlotBooking, world.booking_a)
        theirs = session.get(SlotBooking, world.booking_b)
        mine_code, theirs_code = mine.code, theirs.code
    assert "Créneaux urgents" in page and "Neurosciences" in page and "Cardiologie" not in page
    assert mine_code in page and theirs_code not in page
    assert "Dr Alice Renaud" in page and "mardi 10 mars 2026" in page and "16:30" in page
    assert "Le patient a appelé avec le code" in page
    # The secretariat sees nothing else of Recours.
    assert desk.get("/board").status_code == 403 and desk.get("/departments").status_code == 403


def test_the_secretariat_confirms_the_code_the_patient_reads_out_and_is_told_of_a_wrong_one(app, world, signed_in, read):
    desk = signed_in("secretariat")
    with read() as session:
        code = session.get(SlotBooking, world.booking_a).code
    wrong = desk.post(
        "/urgent-slots/confirm", data={"csrf_token": csrf_token(desk, "/urgent-slots"), "code": "ZZZZ9"}, follow_redirects=True
    )
    assert "Aucune réservation de créneau urgent n'a le code ZZZZ9." in body(wrong)
    spaced = f"{code[:2].lower()} {code[2:].lower()}"  # as typed while listening to the patient
    done = desk.post("/urgent-slots/confirm", data={"csrf_token": csrf_token(desk, "/urgent-slots"), "code": spaced}, follow_redirects=True)
    assert f"Code {code} confirmé : le créneau est au patient." in body(done)
    with read() as session:
        assert session.get(SlotBooking, world.booking_a).status is BookingStatus.CONFIRMED
    # Another department's booking cannot be confirmed from this desk, even by its code.
    with read() as session:
        other = session.get(SlotBooking, world.booking_b).code
    refused = desk.post(
        "/urgent-slots/confirm", data={"csrf_token": csrf_token(desk, "/urgent-slots"), "code": other}, follow_redirects=True
    )
    assert "Vous ne travaillez pas pour ce service." in body(refused)
    with read() as session:
        assert session.get(SlotBooking, world.booking_b).status is BookingStatus.BOOKED


def test_the_secretariat_cancels_a_booking_the_slot_is_free_and_the_gp_is_texted(app, world, signed_in, read):
    desk = signed_in("secretariat")
    done = desk.post(
        f"/urgent-slots/bookings/{world.booking_a}/cancel", data={"csrf_token": csrf_token(desk, "/urgent-slots")}, follow_redirects=True
    )
    with read() as session:
        booking = session.get(SlotBooking, world.booking_a)
        assert f"Réservation {booking.code} annulée" in body(done)
        assert booking.status is BookingStatus.CANCELLED and booking.cancelled_by == "secretariat"
        assert booking.slot.status is SlotStatus.OPEN
        sms = session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "urgent_slot_gp_cancelled")).one()
        assert booking.code in sms.body and "annulé" in sms.body


def test_a_head_publishes_a_pattern_and_a_bad_one_is_explained_next_to_its_field(app, world, signed_in, read):
    head = signed_in("head")
    page = f"/specialties/{world.neuro}/urgent-slots"
    form = {
        "fingerprint": "new",
        "weekdays": "12345",
        "times": "9h00, 26:00",
        "duration_minutes": "20",
        "place": "Salle 4",
        "cutoff_minutes": "60",
    }
    bad = head.post(f"{page}/patterns", data={"csrf_token": csrf_token(head, page), **form})
    assert bad.status_code == 200
    assert "Les heures s'écrivent avec deux points, séparées par des virgules, par exemple 11:30, 16:30." in body(bad)
    assert 'aria-invalid="true"' in bad.get_data(as_text=True)
    good = head.post(f"{page}/patterns", data={"csrf_token": csrf_token(head, page), **form, "times": "9h00"}, follow_redirects=True)
    assert "Créneaux urgents publiés." in body(good)
    with read() as session:
        pattern = session.scalars(select(SlotPattern).where(SlotPattern.place == "Salle 4")).one()
        assert (pattern.times, pattern.duration_minutes, pattern.cutoff_minutes) == ("09:00", 20, 60)
        assert session.scalars(select(UrgentSlot).where(UrgentSlot.pattern_id == pattern.id)).first() is not None
    one_off = head.post(
        f"{page}/one-off",
        data={
            "csrf_token": csrf_token(head, page),
            "starts_at": "2026-03-14T10:00",
            "duration_minutes": "30",
            "place": "Salle 5",
            "cutoff_minutes": "120",
        },
        follow_redirects=True,
    )
    assert "Créneau urgent ajouté." in body(one_off) and "Salle 5" in body(one_off)
    # The other department's head may not touch neurology's slots.
    assert signed_in("head_b").get(page).status_code == 403


def test_an_administrator_gives_a_secretariat_account_its_departments(app, world, signed_in, read):
    admin = signed_in("admin")
    form = {"email": "secretariat.cardio@hopital.fr", "full_name": "Secrétariat de cardiologie", "role": "secretariat", "language": "fr",
            "active": "y", "password": "une phrase de passe assez longue"}  # fmt: skip
    refused = admin.post("/users/new", data={"csrf_token": csrf_token(admin, "/users/new"), **form})
    assert "Un secrétariat travaille pour au moins un service." in body(refused)
    done = admin.post("/users/new", data={"csrf_token": csrf_token(admin, "/users/new"), **form, "departments": [str(world.dept_b)]})
    assert done.status_code == 302
    with read() as session:
        user = session.scalars(select(User).where(User.email == "secretariat.cardio@hopital.fr")).one()
        assert session.scalars(select(SecretariatDepartment.department_id).where(SecretariatDepartment.user_id == user.id)).all() == [
            world.dept_b
        ]
