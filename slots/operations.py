"""Changes to urgent slots: patterns and one-offs (heads), publication and release (the scheduler),
booking (a senior, by SMS or a page), confirmation and cancellation (the secretariat, the GP).

These functions are the only code that changes urgent slots. Each takes the session and the
:class:`core.actor.Actor`, checks its arguments and the actor's authority, writes the change and its
audit entry, queues the messages it implies in the same transaction (notify outbox), and flushes; the
caller commits once. A refusal raises :class:`SlotError` with a code, a field and params.

Taking a slot is one compare-and-set ``UPDATE … WHERE status = 'open' AND cutoff_at > now``: two seniors
booking the last slot at the same moment get one booking and one "no longer free", on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from accounts.models import Role, SecretariatDepartment, User
from accounts.scope import authority_of_actor, principal_of
from audit import record, snapshot
from core import clock
from core.actor import Actor, ActorKind
from core.concurrency import lock
from core.config import Settings
from core.db import insert_ignoring_duplicates
from core.errors import N_, Code, Kind, OperationError
from core.phones import InvalidPhoneNumber, to_e164
from core.words import DEFAULT_LANGUAGE, supported
from notify.models import Channel
from notify.outbox import enqueue
from rota import bounds
from rota.models import Senior, Specialty
from rota.patterns import instant, is_public_holiday, parse_weekdays, weekdays_text
from slots import codes, messages
from slots.models import BookingStatus, SlotBooking, SlotPattern, SlotStatus, UrgentSlot

log = logging.getLogger(__name__)

# Pattern slots exist as rows this far ahead (published by the scheduler's urgent-slots job).
HORIZON = timedelta(days=14)
MAX_TIMES_A_DAY = 12
DEFAULT_ATTEMPTS = 5
CONFLICT, NOT_FOUND, FORBIDDEN = Kind.CONFLICT, Kind.NOT_FOUND, Kind.FORBIDDEN


class SlotError(OperationError):
    """A change urgent slots refuse."""

    prefix = "slots"
    codes = {
        "unknown_specialty": Code(N_("There is no specialty #{specialty_id}."), NOT_FOUND, "specialty_id"),
        "unknown_pattern": Code(N_("There is no urgent slot pattern #{pattern_id}."), NOT_FOUND),
        "unknown_slot": Code(N_("There is no urgent slot #{slot_id}."), NOT_FOUND),
        "unknown_booking": Code(N_("No urgent slot booking has the code {booking_code}."), NOT_FOUND, "code"),
        "unknown_call": Code(N_("There is no call #{call_id}."), NOT_FOUND, "call_id"),
        "forbidden": Code(N_("You do not work for this department."), FORBIDDEN),
        "weekdays": Code(N_("Days are written 1 (Monday) to 7 (Sunday), for example 12345 or 1-5."), field="weekdays"),
        "times": Code(N_("Times are written HH:MM, separated by commas, for example 11:30, 16:30."), field="times"),
        "too_many_times": Code(N_("At most {count} slots a day."), field="times"),
        "duration": Code(N_("A slot lasts from 5 minutes to 8 hours."), field="duration_minutes"),
        "cutoff": Code(N_("Booking closes between 0 minutes and 7 days before the slot."), field="cutoff_minutes"),
        "place": Code(N_("Say where the patient goes (building, floor, room)."), field="place"),
        "validity_order": Code(N_("The last day must not be before the first."), field="valid_until"),
        "out_of_range": Code(bounds.OUT_OF_RANGE, field="valid_from"),
        "naive_start": Code(N_("A slot's start is an instant with its time zone."), field="starts_at"),
        "start_past": Code(N_("A new slot starts in the future."), field="starts_at"),
        "slot_taken": Code(N_("The specialty already has an urgent slot at that time."), CONFLICT, "starts_at"),
        "slot_booked": Code(N_("This slot is booked: cancel the booking first."), CONFLICT),
        "not_open": Code(N_("This slot is no longer free."), CONFLICT),
        "past_cutoff": Code(N_("Booking for this slot closed at {cutoff}."), CONFLICT),
        "no_free_slot": Code(N_("No urgent slot of {specialty} is free in the next {days} days."), CONFLICT),
        "no_specialty": Code(N_("This call did not reach a specialty."), CONFLICT, "call_id"),
        "no_gp_number": Code(N_("The GP's number is hidden or unknown: no SMS can carry the code."), CONFLICT, "call_id"),
        "gp_number": Code(N_("{number} is not a valid phone number."), field="gp_e164"),
        "not_your_call": Code(N_("Only a senior who took this call can book a slot for it."), FORBIDDEN, "senior_id"),
        "already_booked_for_call": Code(N_("An urgent slot is already booked for this call (code {booking_code})."), CONFLICT),
        "booking_cancelled": Code(N_("Booking {booking_code} was cancelled."), CONFLICT),
        "already_confirmed": Code(N_("Booking {booking_code} is already confirmed."), CONFLICT),
        "started": Code(N_("Slot {booking_code} has started: it can no longer be cancelled."), CONFLICT),
    }


# -- what the audit log records --------------------------------------------------------------------


def pattern_values(pattern: SlotPattern) -> dict[str, Any]:
    return snapshot(pattern)


def slot_values(slot: UrgentSlot) -> dict[str, Any]:
    return snapshot(slot)


def booking_values(booking: SlotBooking) -> dict[str, Any]:
    # The GP's number is their professional line, not the patient's; kept so the log says who was told.
    return snapshot(booking)


def _audit(session: Session, actor: Actor, action: str, target_type: str, target_id: int | None, department_id: int, **values: Any) -> None:
    record(session, actor, action=action, target_type=target_type, target_id=target_id, department_ids=[department_id], **values)


# -- helpers ---------------------------------------------------------------------------------------


def zone_of(specialty: Specialty) -> ZoneInfo:
    return ZoneInfo(specialty.department.timezone)


def _specialty(session: Session, specialty_id: int) -> Specialty:
    specialty = session.get(Specialty, specialty_id)
    if specialty is None:
        raise SlotError("unknown_specialty", specialty_id=specialty_id)
    return specialty


def _may_manage(session: Session, actor: Actor, department_id: int) -> None:
    """Heads manage their departments' slots; administrators, the CLI and the scheduler all of them."""
    authority = authority_of_actor(session, actor)
    if authority is not None and department_id not in authority:
        raise SlotError("forbidden")


def _may_work_desk(session: Session, actor: Actor, department_id: int) -> None:
    """The secretariat of the department (or its heads, or an administrator) confirms and cancels."""
    if actor.kind is ActorKind.USER:
        user = session.get(User, actor.user_id) if actor.user_id is not None else None
        if user is None or not user.active:
            raise SlotError("forbidden")
        if user.role is Role.ADMIN or department_id in principal_of(session, user).own_department_ids:
            return
        raise SlotError("forbidden")
    _may_manage(session, actor, department_id)


def parse_times(text: str) -> list[time]:
    """``"11:30, 16:30"`` → [11:30, 16:30], sorted, without repeats. Raises :class:`SlotError`."""
    found: set[time] = set()
    for part in re.split(r"[,;\s]+", (text or "").strip()):
        if not part:
            continue
        match = re.fullmatch(r"([01]?\d|2[0-3])[:hH]([0-5]\d)", part)
        if match is None:
            raise SlotError("times")
        found.add(time(int(match.group(1)), int(match.group(2))))
    if not found:
        raise SlotError("times")
    if len(found) > MAX_TIMES_A_DAY:
        raise SlotError("too_many_times", count=MAX_TIMES_A_DAY)
    return sorted(found)


def _check_duration(minutes: int) -> int:
    if not isinstance(minutes, int) or not 5 <= minutes <= 480:
        raise SlotError("duration")
    return minutes


def _check_cutoff(minutes: int) -> int:
    if not isinstance(minutes, int) or not 0 <= minutes <= 7 * 24 * 60:
        raise SlotError("cutoff")
    return minutes


def _check_place(place: str) -> str:
    place = (place or "").strip()
    if not place or len(place) > 200:
        raise SlotError("place")
    return place


# -- patterns --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatternSettings:
    """A pattern as a form or a command gives it: "12345", "11:30, 16:30", "Bâtiment B, 2e étage"."""

    weekdays: str
    times: str
    place: str
    duration_minutes: int = 30
    cutoff_minutes: int = 120
    valid_from: date | None = None  # None: today (local)
    valid_until: date | None = None


def _apply_pattern(pattern: SlotPattern, settings: PatternSettings, today: date) -> None:
    try:
        days = parse_weekdays(settings.weekdays or "")
    except ValueError:
        raise SlotError("weekdays") from None
    times = parse_times(settings.times)
    valid_from = settings.valid_from or today
    for field, day in (("valid_from", valid_from), ("valid_until", settings.valid_until)):
        if day is not None and not bounds.day_in_range(day):
            raise SlotError("out_of_range", field=field, **bounds.range_params())
    if settings.valid_until is not None and settings.valid_until < valid_from:
        raise SlotError("validity_order")
    pattern.weekdays = weekdays_text(days)
    pattern.times = ",".join(t.strftime("%H:%M") for t in times)
    pattern.place = _check_place(settings.place)
    pattern.duration_minutes = _check_duration(settings.duration_minutes)
    pattern.cutoff_minutes = _check_cutoff(settings.cutoff_minutes)
    pattern.valid_from, pattern.valid_until = valid_from, settings.valid_until


def add_pattern(session: Session, actor: Actor, specialty_id: int, settings: PatternSettings, *, at: datetime | None = None) -> SlotPattern:
    """A recurring set of urgent slots; its slots of the next fortnight are published at once."""
    now = at or clock.now()
    specialty = _specialty(session, specialty_id)
    _may_manage(session, actor, specialty.department_id)
    pattern = SlotPattern(specialty_id=specialty.id, created_at=now)
    _apply_pattern(pattern, settings, now.astimezone(zone_of(specialty)).date())
    session.add(pattern)
    session.flush()
    _audit(session, actor, "slot_pattern.create", "slot_pattern", pattern.id, specialty.department_id, after=pattern_values(pattern))
    publish_slots(session, actor, now, pattern_ids=[pattern.id])
    return pattern


def _withdraw_open_slots(session: Session, pattern_id: int, now: datetime) -> int:
    """The pattern's future slots nobody booked go (those booked or released stay as they are)."""
    return session.execute(
        delete(UrgentSlot).where(UrgentSlot.pattern_id == pattern_id, UrgentSlot.status == SlotStatus.OPEN, UrgentSlot.starts_at > now)
    ).rowcount


def update_pattern(
    session: Session, actor: Actor, pattern_id: int, settings: PatternSettings, *, expected: str | None = None, at: datetime | None = None
) -> SlotPattern:
    """Change a pattern: its open future slots are published again; booked ones keep their booking."""
    now = at or clock.now()
    pattern = lock(session, SlotPattern, pattern_id, pattern_values, expected, SlotError("unknown_pattern", pattern_id=pattern_id))
    _may_manage(session, actor, pattern.specialty.department_id)
    before = pattern_values(pattern)
    _apply_pattern(pattern, settings, now.astimezone(zone_of(pattern.specialty)).date())
    session.flush()
    _withdraw_open_slots(session, pattern.id, now)
    _audit(
        session,
        actor,
        "slot_pattern.update",
        "slot_pattern",
        pattern.id,
        pattern.specialty.department_id,
        before=before,
        after=pattern_values(pattern),
    )
    publish_slots(session, actor, now, pattern_ids=[pattern.id])
    return pattern


def remove_pattern(session: Session, actor: Actor, pattern_id: int, *, expected: str | None = None, at: datetime | None = None) -> None:
    """Stop a pattern: its open future slots go; booked and released ones stay (and their history)."""
    now = at or clock.now()
    pattern = lock(session, SlotPattern, pattern_id, pattern_values, expected, SlotError("unknown_pattern", pattern_id=pattern_id))
    department_id = pattern.specialty.department_id
    _may_manage(session, actor, department_id)
    before = pattern_values(pattern)
    withdrawn = _withdraw_open_slots(session, pattern.id, now)
    session.delete(pattern)
    session.flush()
    _audit(
        session,
        actor,
        "slot_pattern.delete",
        "slot_pattern",
        pattern_id,
        department_id,
        before=before,
        summary=f"{withdrawn} open slot(s) withdrawn",
    )


def _slots_of_pattern(
    pattern: SlotPattern, zone: ZoneInfo, holidays: str | None, first: date, last: date
) -> Iterable[tuple[datetime, datetime, datetime]]:
    """(start, end, cut-off) of every slot of ``pattern`` on local days ``first``..``last``."""
    weekdays = {int(d) for d in pattern.weekdays}
    day = max(first, pattern.valid_from)
    last = min(last, pattern.valid_until) if pattern.valid_until is not None else last
    while day <= last:
        kind = 7 if is_public_holiday(holidays, day) else day.isoweekday()
        if kind in weekdays:
            for wall in pattern.wall_times:
                starts = instant(day, wall, zone)
                yield starts, starts + timedelta(minutes=pattern.duration_minutes), starts - timedelta(minutes=pattern.cutoff_minutes)
        day += timedelta(days=1)


def publish_slots(
    session: Session, actor: Actor, now: datetime, *, horizon: timedelta = HORIZON, pattern_ids: Iterable[int] | None = None
) -> int:
    """Make the slots of every pattern (or of ``pattern_ids``) exist up to ``now + horizon``; returns how
    many were added. Idempotent (one row per specialty and start, whoever runs it). A slot whose
    cut-off has already passed is not published: nobody could book it."""
    query = select(SlotPattern)
    if pattern_ids is not None:
        query = query.where(SlotPattern.id.in_(list(pattern_ids)))
    added: dict[int, int] = {}
    for pattern in session.scalars(query).all():
        department = pattern.specialty.department
        zone = ZoneInfo(department.timezone)
        first = now.astimezone(zone).date()
        last = (now + horizon).astimezone(zone).date()
        for starts, ends, cutoff in _slots_of_pattern(pattern, zone, department.public_holidays, first, last):
            if cutoff <= now or starts > now + horizon:
                continue
            inserted = insert_ignoring_duplicates(
                session,
                UrgentSlot,
                {
                    "specialty_id": pattern.specialty_id,
                    "pattern_id": pattern.id,
                    "starts_at": starts,
                    "ends_at": ends,
                    "cutoff_at": cutoff,
                    "place": pattern.place,
                    "status": SlotStatus.OPEN,
                    "created_at": now,
                },
                ["specialty_id", "starts_at"],
            )
            if inserted:
                added[department.id] = added.get(department.id, 0) + 1
    for department_id, count in added.items():
        # The count alone: the action's label says what it counts, in the reader's language (« créneaux urgents publiés · 10 »).
        _audit(session, actor, "urgent_slot.publish", "urgent_slot", None, department_id, summary=str(count))
    session.flush()
    return sum(added.values())


# -- one-offs --------------------------------------------------------------------------------------


def add_one_off(
    session: Session,
    actor: Actor,
    specialty_id: int,
    starts_at: datetime,
    *,
    place: str,
    duration_minutes: int = 30,
    cutoff_minutes: int = 120,
    at: datetime | None = None,
) -> UrgentSlot:
    """One extra urgent slot (a Saturday morning, a colleague's free hour)."""
    now = at or clock.now()
    specialty = _specialty(session, specialty_id)
    _may_manage(session, actor, specialty.department_id)
    if starts_at.tzinfo is None:
        raise SlotError("naive_start")
    if not bounds.instant_in_range(starts_at):
        raise SlotError("out_of_range", field="starts_at", **bounds.range_params())
    if starts_at <= now:
        raise SlotError("start_past")
    duration, cutoff, place = _check_duration(duration_minutes), _check_cutoff(cutoff_minutes), _check_place(place)
    inserted = insert_ignoring_duplicates(
        session,
        UrgentSlot,
        {
            "specialty_id": specialty.id,
            "pattern_id": None,
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(minutes=duration),
            # Booking closes at the cut-off, or at once if the slot is sooner than that.
            "cutoff_at": max(min(starts_at - timedelta(minutes=cutoff), starts_at), now) if cutoff else starts_at,
            "place": place,
            "status": SlotStatus.OPEN,
            "created_at": now,
        },
        ["specialty_id", "starts_at"],
    )
    if not inserted:
        raise SlotError("slot_taken")
    slot = session.scalars(select(UrgentSlot).where(UrgentSlot.specialty_id == specialty.id, UrgentSlot.starts_at == starts_at)).one()
    _audit(session, actor, "urgent_slot.create", "urgent_slot", slot.id, specialty.department_id, after=slot_values(slot))
    return slot


def remove_slot(session: Session, actor: Actor, slot_id: int, *, expected: str | None = None) -> None:
    """Remove a slot nobody holds (a one-off given up, a pattern slot the senior cannot see that day)."""
    slot = lock(session, UrgentSlot, slot_id, slot_values, expected, SlotError("unknown_slot", slot_id=slot_id))
    department_id = slot.specialty.department_id
    _may_manage(session, actor, department_id)
    if slot.status is SlotStatus.BOOKED:
        raise SlotError("slot_booked")
    before = slot_values(slot)
    session.delete(slot)
    session.flush()
    _audit(session, actor, "urgent_slot.delete", "urgent_slot", slot_id, department_id, before=before)


# -- the scheduler: release at the cut-off -----------------------------------------------------------


def release_due(session: Session, actor: Actor, now: datetime) -> list[UrgentSlot]:
    """Slots still open at their cut-off go to the secretariat, who may give them to any patient."""
    due = session.scalars(
        select(UrgentSlot).where(UrgentSlot.status == SlotStatus.OPEN, UrgentSlot.cutoff_at <= now).order_by(UrgentSlot.starts_at)
    ).all()
    released = []
    for slot in due:
        # Compare-and-set: a booking racing the release keeps the slot.
        changed = session.execute(
            update(UrgentSlot)
            .where(UrgentSlot.id == slot.id, UrgentSlot.status == SlotStatus.OPEN)
            .values(status=SlotStatus.RELEASED, released_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            session.refresh(slot)
            _audit(session, actor, "urgent_slot.release", "urgent_slot", slot.id, slot.specialty.department_id, after=slot_values(slot))
            released.append(slot)
    session.flush()
    return released


# -- booking ---------------------------------------------------------------------------------------


def next_free_slot(session: Session, specialty_id: int, now: datetime) -> UrgentSlot | None:
    """The soonest slot of the specialty that may still be booked."""
    return session.scalars(
        select(UrgentSlot)
        .where(UrgentSlot.specialty_id == specialty_id, UrgentSlot.status == SlotStatus.OPEN, UrgentSlot.cutoff_at > now)
        .order_by(UrgentSlot.starts_at)
        .limit(1)
    ).first()


def _unused_code(session: Session) -> str:
    for _attempt in range(20):
        code = codes.new_code()
        if session.scalar(select(SlotBooking.id).where(SlotBooking.code == code)) is None:
            return code
    raise RuntimeError("no free booking code")  # pragma: no cover - 33 million codes


def _gp_name(session: Session, gp_id: int | None) -> str | None:
    from directory.models import GeneralPractitioner

    gp = session.get(GeneralPractitioner, gp_id) if gp_id is not None else None
    return gp.full_name if gp is not None else None


def gp_label(session: Session, booking: SlotBooking, language: str = DEFAULT_LANGUAGE) -> str:
    """The GP as the secretariat and the senior read them: the directory's name, else their number."""
    from callbacks.messages import gp_label as label

    return label(_gp_name(session, booking.gp_id), booking.gp_e164, language)


def secretariat_recipients(session: Session, department_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(SecretariatDepartment, SecretariatDepartment.user_id == User.id)
            .where(SecretariatDepartment.department_id == department_id, User.active.is_(True), User.role == Role.SECRETARIAT)
            .order_by(User.id)
        )
    )


def _tell_secretariat(session: Session, booking: SlotBooking, now: datetime, attempts: int, event: str) -> int:
    slot = booking.slot
    specialty = slot.specialty
    zone = zone_of(specialty)
    senior = session.get(Senior, booking.senior_id) if booking.senior_id is not None else None
    queued = 0
    for user in secretariat_recipients(session, specialty.department_id):
        language = supported(user.language)
        day, hour = messages.day_text(slot.starts_at, zone, language), messages.time_text(slot.starts_at, zone)
        name = specialty.name(language)
        if event == "booked":
            subject = messages.secretariat_subject(name, day, hour, language)
            body = messages.secretariat_body(
                name,
                day,
                hour,
                slot.place,
                booking.code,
                gp_label(session, booking, language),
                senior.full_name if senior else "?",
                language,
            )
        else:
            subject = messages.secretariat_cancelled_subject(name, day, hour, language)
            body = messages.secretariat_cancelled_body(name, day, hour, booking.code, gp_label(session, booking, language), language)
        queued += enqueue(
            session,
            dedup_key=f"urgent-slot:{booking.id}:{event}:{user.id}",
            channel=Channel.EMAIL,
            purpose=f"urgent_slot_{event}",
            recipient=user.email,
            now=now,
            max_attempts=attempts,
            subject=subject,
            body=body,
            expires_at=slot.starts_at,
        )
    return queued


def _text_gp(session: Session, booking: SlotBooking, body: str, event: str, now: datetime, attempts: int) -> None:
    enqueue(
        session,
        dedup_key=f"urgent-slot:{booking.id}:gp-{event}",
        channel=Channel.SMS,
        purpose=f"urgent_slot_gp_{event}",
        recipient=booking.gp_e164,
        now=now,
        max_attempts=attempts,
        body=body,
        expires_at=booking.slot.starts_at,
    )


def _attempts(settings: Settings | None) -> int:
    return settings.notify.max_attempts if settings is not None else DEFAULT_ATTEMPTS


def book_slot(
    session: Session,
    actor: Actor,
    slot_id: int,
    *,
    senior_id: int | None,
    gp_e164: str,
    gp_id: int | None = None,
    call_id: int | None = None,
    language: str = DEFAULT_LANGUAGE,
    at: datetime | None = None,
    settings: Settings | None = None,
) -> SlotBooking:
    """Book ``slot_id`` for a patient of the GP at ``gp_e164``: a new code, the GP's SMS (date, time,
    place, code) and the secretariat's e-mail, queued in this transaction."""
    now = at or clock.now()
    try:
        gp_e164 = to_e164(gp_e164)
    except InvalidPhoneNumber:
        raise SlotError("gp_number", number=gp_e164) from None
    slot = session.get(UrgentSlot, slot_id)
    if slot is None:
        raise SlotError("unknown_slot", slot_id=slot_id)
    taken = session.execute(
        update(UrgentSlot)
        .where(UrgentSlot.id == slot_id, UrgentSlot.status == SlotStatus.OPEN, UrgentSlot.cutoff_at > now)
        .values(status=SlotStatus.BOOKED)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(slot)
    if not taken:
        if slot.status is SlotStatus.OPEN:
            raise SlotError("past_cutoff", cutoff=slot.cutoff_at)
        raise SlotError("not_open")
    language = supported(language)
    booking = SlotBooking(
        slot=slot,
        code=_unused_code(session),
        status=BookingStatus.BOOKED,
        gp_id=gp_id,
        gp_e164=gp_e164,
        senior_id=senior_id,
        call_id=call_id,
        language=language,
        booked_at=now,
    )
    session.add(booking)
    session.flush()
    specialty = slot.specialty
    zone = zone_of(specialty)
    _audit(session, actor, "urgent_slot.book", "urgent_slot_booking", booking.id, specialty.department_id, after=booking_values(booking))
    attempts = _attempts(settings)
    day, hour = messages.day_text(slot.starts_at, zone, language), messages.time_text(slot.starts_at, zone)
    _text_gp(
        session,
        booking,
        messages.gp_booked(specialty.name(language), day, hour, slot.place, booking.code, language),
        "booked",
        now,
        attempts,
    )
    _tell_secretariat(session, booking, now, attempts, "booked")
    log.info("urgent slot #%d (%s) booked: code %s", slot.id, specialty.code, booking.code)
    return booking


def _took_call(session: Session, call_id: int, senior_id: int) -> bool:
    """The senior accepted the call, or called the GP back through Recours after it."""
    from callbacks.models import CallbackCall
    from calllog.models import Attempt, CallbackRequest

    accepted = session.scalar(
        select(Attempt.id).where(Attempt.call_id == call_id, Attempt.senior_id == senior_id, Attempt.accepted_at.is_not(None)).limit(1)
    )
    if accepted is not None:
        return True
    called_back = session.scalar(
        select(CallbackCall.id)
        .join(CallbackRequest, CallbackRequest.id == CallbackCall.callback_request_id)
        .where(CallbackRequest.call_id == call_id, CallbackCall.senior_id == senior_id)
        .limit(1)
    )
    return called_back is not None


def book_for_call(
    session: Session, actor: Actor, *, call_id: int, senior_id: int, at: datetime | None = None, settings: Settings | None = None
) -> SlotBooking:
    """Book the next free urgent slot of the call's specialty for the GP who made the call."""
    from calllog.models import Call

    now = at or clock.now()
    call = session.get(Call, call_id)
    if call is None:
        raise SlotError("unknown_call", call_id=call_id)
    if call.specialty_id is None:
        raise SlotError("no_specialty")
    if not _took_call(session, call.id, senior_id):
        raise SlotError("not_your_call")
    existing = session.scalars(
        select(SlotBooking).where(SlotBooking.call_id == call.id, SlotBooking.status != BookingStatus.CANCELLED).limit(1)
    ).first()
    if existing is not None:
        raise SlotError("already_booked_for_call", booking_code=existing.code)
    if call.caller_e164 is None:
        raise SlotError("no_gp_number")
    specialty = _specialty(session, call.specialty_id)
    publish_slots(
        session, actor, now, pattern_ids=session.scalars(select(SlotPattern.id).where(SlotPattern.specialty_id == specialty.id)).all()
    )
    for _attempt in range(5):  # another senior may take the slot between the read and the write
        slot = next_free_slot(session, specialty.id, now)
        if slot is None:
            break
        try:
            return book_slot(
                session,
                actor,
                slot.id,
                senior_id=senior_id,
                gp_e164=call.caller_e164,
                gp_id=call.gp_id,
                call_id=call.id,
                language=call.language,
                at=now,
                settings=settings,
            )
        except SlotError as exc:
            if exc.code not in ("slots.not_open", "slots.past_cutoff"):
                raise
    raise SlotError("no_free_slot", specialty=specialty.name(DEFAULT_LANGUAGE), days=HORIZON.days)


def booking_by_code(session: Session, typed: str) -> SlotBooking | None:
    code = codes.normalise(typed)
    return session.scalars(select(SlotBooking).where(SlotBooking.code == code)).first() if code else None


def _booking(session: Session, code: str) -> SlotBooking:
    booking = booking_by_code(session, code)
    if booking is None:
        raise SlotError("unknown_booking", booking_code=code)
    session.refresh(booking, with_for_update=True)
    return booking


def confirm_booking(session: Session, actor: Actor, code: str, *, at: datetime | None = None) -> SlotBooking:
    """The patient called the secretariat with the code: the slot is theirs."""
    now = at or clock.now()
    booking = _booking(session, code)
    _may_work_desk(session, actor, booking.slot.specialty.department_id)
    if booking.status is BookingStatus.CANCELLED:
        raise SlotError("booking_cancelled", booking_code=booking.code)
    if booking.status is BookingStatus.CONFIRMED:
        raise SlotError("already_confirmed", booking_code=booking.code)
    before = booking_values(booking)
    booking.status, booking.confirmed_at = BookingStatus.CONFIRMED, now
    session.flush()
    _audit(
        session, actor, "urgent_slot.confirm", "urgent_slot_booking", booking.id, booking.slot.specialty.department_id,
        before=before, after=booking_values(booking),
    )  # fmt: skip
    return booking


def cancel_booking(
    session: Session, actor: Actor, code: str, *, by: str, at: datetime | None = None, settings: Settings | None = None
) -> SlotBooking:
    """Cancel a booking (``by`` "gp" from their SMS reply, "secretariat" from the page): the slot is free
    again for seniors, or the secretariat's once its cut-off has passed. The other side is told."""
    now = at or clock.now()
    booking = _booking(session, code)
    slot = booking.slot
    department_id = slot.specialty.department_id
    if by != "gp":
        _may_work_desk(session, actor, department_id)
    if booking.status is BookingStatus.CANCELLED:
        raise SlotError("booking_cancelled", booking_code=booking.code)
    if slot.starts_at <= now:
        raise SlotError("started", booking_code=booking.code)
    before = booking_values(booking)
    booking.status, booking.cancelled_at, booking.cancelled_by = BookingStatus.CANCELLED, now, by
    if slot.cutoff_at > now:
        slot.status = SlotStatus.OPEN
    else:
        slot.status, slot.released_at = SlotStatus.RELEASED, now
    session.flush()
    _audit(
        session, actor, "urgent_slot.cancel", "urgent_slot_booking", booking.id, department_id, before=before, after=booking_values(booking)
    )
    attempts = _attempts(settings)
    if by == "gp":
        _tell_secretariat(session, booking, now, attempts, "cancelled")
    else:
        zone = zone_of(slot.specialty)
        day, hour = messages.day_text(slot.starts_at, zone, booking.language), messages.time_text(slot.starts_at, zone)
        _text_gp(session, booking, messages.gp_cancelled(booking.code, day, hour, booking.language), "cancelled", now, attempts)
    return booking
