"""Urgent slots through their operations: patterns in local time (DST, holidays), booking with a code
and no patient identity, the messages it queues, release at the cut-off, confirmation and cancellation,
and the refusals (codes and fields)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from accounts.models import User
from core.actor import SYSTEM, Actor
from notify.models import Channel, OutboundMessage
from rota.models import Department
from slots import codes
from slots import operations as slots
from slots.models import BookingStatus, SlotStatus, UrgentSlot
from tests.hospital import GP_KNOWN
from tests.slots.conftest import PLACE

PARIS = ZoneInfo("Europe/Paris")
GSM_SAFE = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)  # GSM 03.38


def local(at: datetime) -> datetime:
    return at.astimezone(PARIS)


def open_slots(session, specialty_id: int) -> list[UrgentSlot]:
    return list(session.scalars(select(UrgentSlot).where(UrgentSlot.specialty_id == specialty_id).order_by(UrgentSlot.starts_at)))


def test_a_pattern_publishes_two_slots_a_weekday_for_a_fortnight_in_local_time(session, slot_hospital, frozen_clock):
    found = open_slots(session, slot_hospital.hospital.neurology_id)
    # Tuesday 10 March 2026 10:00 Paris: today's 11:30 (cut-off 09:30) is past booking; 16:30 is not.
    starts = [local(slot.starts_at) for slot in found]
    assert starts[0] == datetime(2026, 3, 10, 16, 30, tzinfo=PARIS)
    assert {s.isoweekday() for s in starts} <= {1, 2, 3, 4, 5}
    assert {s.strftime("%H:%M") for s in starts} == {"11:30", "16:30"}
    # Up to 14 days ahead to the minute: Tuesday 24 March's 11:30 is 90 minutes too far for now.
    assert max(s.date() for s in starts) == date(2026, 3, 23)
    assert len(starts) == 1 + 2 * 9  # today's afternoon, then two a weekday
    assert all(slot.place == PLACE and slot.status is SlotStatus.OPEN for slot in found)
    assert all(slot.cutoff_at == slot.starts_at - timedelta(hours=2) for slot in found)
    assert all(slot.ends_at - slot.starts_at == timedelta(minutes=30) for slot in found)
    # Publishing again (the scheduler every minute) adds nothing.
    assert slots.publish_slots(session, SYSTEM, frozen_clock[0]) == 0


def test_slots_keep_their_wall_clock_across_the_spring_change_and_skip_public_holidays(session, slot_hospital):
    department = session.get(Department, slot_hospital.department_id)
    department.public_holidays = "FR"
    session.flush()
    later = datetime(2026, 3, 25, 9, 0, tzinfo=UTC)
    slots.publish_slots(session, SYSTEM, later)
    by_day = {}
    for slot in open_slots(session, slot_hospital.hospital.neurology_id):
        by_day.setdefault(local(slot.starts_at).date(), []).append(slot.starts_at)
    # Friday 27 March is winter time (UTC+1), Monday 30 March summer time (UTC+2): same 11:30 locally.
    assert by_day[date(2026, 3, 27)][0] == datetime(2026, 3, 27, 10, 30, tzinfo=UTC)
    assert by_day[date(2026, 3, 30)][0] == datetime(2026, 3, 30, 9, 30, tzinfo=UTC)
    # Easter Monday (6 April 2026) counts as a Sunday in France: no urgent slot that day.
    assert date(2026, 4, 3) in by_day and date(2026, 4, 6) not in by_day and date(2026, 4, 7) in by_day


def test_booking_gives_a_code_texts_the_gp_and_emails_the_secretariat(session, slot_hospital, frozen_clock):
    h = slot_hospital.hospital
    first = slots.next_free_slot(session, h.neurology_id, frozen_clock[0])
    booking = slots.book_slot(session, SYSTEM, first.id, senior_id=h.primary_id, gp_e164=GP_KNOWN, gp_id=None)
    session.commit()
    assert codes.normalise(booking.code) == booking.code and not set(booking.code) & set("0O1I")
    assert first.status is SlotStatus.BOOKED and booking.status is BookingStatus.BOOKED
    sms = session.scalars(select(OutboundMessage).where(OutboundMessage.channel == Channel.SMS)).one()
    assert sms.recipient == GP_KNOWN
    assert booking.code in sms.body and "16:30" in sms.body and "mardi 10/03" in sms.body
    assert "Batiment B, 2e étage" in sms.body  # â is not in the GSM alphabet, é is
    assert set(sms.body) <= GSM_SAFE, set(sms.body) - GSM_SAFE
    assert "ANNULER " + booking.code in sms.body
    mail = session.scalars(select(OutboundMessage).where(OutboundMessage.channel == Channel.EMAIL)).one()
    assert mail.recipient == "secretariat.neuro@hopital.fr"
    assert booking.code in mail.body and "Dr Claire Martin" in mail.body and "16:30" in mail.body
    # The next booking takes the next slot; the taken one cannot be booked again.
    second = slots.next_free_slot(session, h.neurology_id, frozen_clock[0])
    assert second.starts_at > first.starts_at
    with pytest.raises(slots.SlotError) as refused:
        slots.book_slot(session, SYSTEM, first.id, senior_id=h.backup_id, gp_e164=GP_KNOWN)
    assert refused.value.code == "slots.not_open"


def test_unbooked_slots_are_released_at_their_cut_off_and_booked_ones_stay(session, slot_hospital, frozen_clock):
    h = slot_hospital.hospital
    first = slots.next_free_slot(session, h.neurology_id, frozen_clock[0])  # today 16:30, cut-off 14:30
    tomorrow = slots.next_free_slot(session, h.neurology_id, first.starts_at)  # after today's: tomorrow's 11:30
    slots.book_slot(session, SYSTEM, tomorrow.id, senior_id=h.primary_id, gp_e164=GP_KNOWN)
    assert slots.release_due(session, Actor.scheduler("urgent-slots"), first.cutoff_at - timedelta(seconds=1)) == []
    released = slots.release_due(session, Actor.scheduler("urgent-slots"), first.cutoff_at)
    assert [slot.id for slot in released] == [first.id]
    assert first.status is SlotStatus.RELEASED and first.released_at == first.cutoff_at
    assert slots.release_due(session, Actor.scheduler("urgent-slots"), tomorrow.cutoff_at + timedelta(minutes=1)) != [tomorrow]
    assert tomorrow.status is SlotStatus.BOOKED
    with pytest.raises(slots.SlotError) as refused:
        slots.book_slot(session, SYSTEM, first.id, senior_id=h.primary_id, gp_e164=GP_KNOWN, at=first.cutoff_at)
    assert refused.value.code == "slots.not_open"


def test_cancelling_frees_the_slot_before_the_cut_off_and_gives_it_to_the_secretariat_after(session, slot_hospital, frozen_clock):
    h = slot_hospital.hospital
    slot = slots.next_free_slot(session, h.neurology_id, frozen_clock[0])
    booking = slots.book_slot(session, SYSTEM, slot.id, senior_id=h.primary_id, gp_e164=GP_KNOWN)
    slots.cancel_booking(session, SYSTEM, booking.code.lower(), by="gp")
    assert booking.status is BookingStatus.CANCELLED and booking.cancelled_by == "gp" and slot.status is SlotStatus.OPEN
    with pytest.raises(slots.SlotError) as refused:
        slots.cancel_booking(session, SYSTEM, booking.code, by="gp")
    assert refused.value.code == "slots.booking_cancelled"
    again = slots.book_slot(session, SYSTEM, slot.id, senior_id=h.primary_id, gp_e164=GP_KNOWN)
    secretariat = Actor.for_user(session.get(User, slot_hospital.secretariat_user_id))
    slots.cancel_booking(session, secretariat, again.code, by="secretariat", at=slot.cutoff_at + timedelta(minutes=5))
    assert slot.status is SlotStatus.RELEASED
    told = session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "urgent_slot_gp_cancelled")).one()
    assert again.code in told.body and told.recipient == GP_KNOWN
    third = slots.book_slot(
        session, SYSTEM, slots.next_free_slot(session, h.neurology_id, frozen_clock[0]).id, senior_id=h.primary_id, gp_e164=GP_KNOWN
    )
    with pytest.raises(slots.SlotError) as refused:
        slots.cancel_booking(session, SYSTEM, third.code, by="gp", at=third.slot.starts_at)
    assert refused.value.code == "slots.started"


def test_only_the_departments_secretariat_confirms(session, slot_hospital, frozen_clock):
    h = slot_hospital.hospital
    slot = slots.next_free_slot(session, h.neurology_id, frozen_clock[0])
    booking = slots.book_slot(session, SYSTEM, slot.id, senior_id=h.primary_id, gp_e164=GP_KNOWN)
    elsewhere = Actor.for_user(session.get(User, slot_hospital.other_secretariat_user_id))
    with pytest.raises(slots.SlotError) as refused:
        slots.confirm_booking(session, elsewhere, booking.code)
    assert (refused.value.code, refused.value.kind.value) == ("slots.forbidden", "forbidden")
    ours = Actor.for_user(session.get(User, slot_hospital.secretariat_user_id))
    slots.confirm_booking(session, ours, booking.code)
    assert booking.status is BookingStatus.CONFIRMED and booking.confirmed_at == frozen_clock[0]
    with pytest.raises(slots.SlotError) as refused:
        slots.confirm_booking(session, ours, booking.code)
    assert refused.value.code == "slots.already_confirmed"
    with pytest.raises(slots.SlotError) as refused:
        slots.confirm_booking(session, ours, "ZZZZZ")
    assert (refused.value.code, refused.value.field) == ("slots.unknown_booking", "code")


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"times": "11h30, 25:00"}, "slots.times", "times"),
        ({"times": ""}, "slots.times", "times"),
        ({"times": ", ".join(f"{h:02d}:00" for h in range(13))}, "slots.too_many_times", "times"),
        ({"weekdays": "89"}, "slots.weekdays", "weekdays"),
        ({"place": "  "}, "slots.place", "place"),
        ({"duration_minutes": 2}, "slots.duration", "duration_minutes"),
        ({"cutoff_minutes": -5}, "slots.cutoff", "cutoff_minutes"),
        ({"valid_from": date(2026, 5, 1), "valid_until": date(2026, 4, 1)}, "slots.validity_order", "valid_until"),
        ({"valid_from": date(3026, 5, 1)}, "slots.out_of_range", "valid_from"),
    ],
)
def test_a_bad_pattern_is_refused_with_its_code_and_field(session, slot_hospital, changes, code, field):
    settings = {"weekdays": "12345", "times": "11:30", "place": PLACE, **changes}
    with pytest.raises(slots.SlotError) as refused:
        slots.add_pattern(session, SYSTEM, slot_hospital.hospital.neurology_id, slots.PatternSettings(**settings))
    assert (refused.value.code, refused.value.field) == (code, field)


def test_a_head_manages_only_their_departments_slots(session, slot_hospital, frozen_clock):
    from accounts import operations as accounts

    other_head = Actor.for_user(
        accounts.create_user(
            session, SYSTEM, email="chef.cardio@hopital.fr", full_name="Pr Cardio", role="head",
            senior_id=slot_hospital.hospital.backup_id, password="a long enough test password",
        )
    )  # fmt: skip
    with pytest.raises(slots.SlotError) as refused:
        slots.add_one_off(session, other_head, slot_hospital.hospital.neurology_id, frozen_clock[0] + timedelta(days=1), place=PLACE)
    assert refused.value.code == "slots.forbidden"
    one_off = slots.add_one_off(session, SYSTEM, slot_hospital.hospital.neurology_id, frozen_clock[0] + timedelta(days=1), place=PLACE)
    assert one_off.pattern_id is None and one_off.cutoff_at == one_off.starts_at - timedelta(hours=2)
    with pytest.raises(slots.SlotError) as refused:
        slots.add_one_off(session, SYSTEM, slot_hospital.hospital.neurology_id, one_off.starts_at, place=PLACE)
    assert refused.value.code == "slots.slot_taken"


def test_changing_a_pattern_republishes_open_slots_and_keeps_bookings(session, slot_hospital, frozen_clock):
    h = slot_hospital.hospital
    booked = slots.next_free_slot(session, h.neurology_id, frozen_clock[0])
    slots.book_slot(session, SYSTEM, booked.id, senior_id=h.primary_id, gp_e164=GP_KNOWN)
    slots.update_pattern(session, SYSTEM, slot_hospital.pattern_id, slots.PatternSettings(weekdays="12345", times="09:00", place="Salle 3"))
    remaining = open_slots(session, h.neurology_id)
    assert booked in remaining and booked.status is SlotStatus.BOOKED
    assert {local(s.starts_at).strftime("%H:%M") for s in remaining if s is not booked} == {"09:00"}
    slots.remove_pattern(session, SYSTEM, slot_hospital.pattern_id)
    assert open_slots(session, h.neurology_id) == [booked]


def test_the_scheduler_job_releases_a_slot_nobody_booked_at_its_cut_off(app, session, slot_hospital, frozen_clock):
    from scheduler.jobs import run_job
    from scheduler.models import SchedulerRun

    slot_id = slots.next_free_slot(session, slot_hospital.hospital.neurology_id, frozen_clock[0]).id
    cutoff = session.get(UrgentSlot, slot_id).cutoff_at
    session.commit()
    frozen_clock[0] = cutoff
    with app.app_context():
        assert run_job("urgent-slots") == "ok"
    session.rollback()
    session.expire_all()
    assert session.get(UrgentSlot, slot_id).status is SlotStatus.RELEASED
    run = session.scalars(select(SchedulerRun).where(SchedulerRun.job_id == "urgent-slots")).one()
    assert "1 released" in run.detail
