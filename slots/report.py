"""Urgent slots in the managers' report: per specialty and month (local), how many were offered, used
(booked, of which confirmed by the patient's call), cancelled and released to the secretariat.

One table, ``urgent_slots``, in the layout every report table shares (:class:`reports.tables.Table`): the
report page, its CSV download and ``flask report --table urgent_slots`` show it alike.

- *offered*: slots whose start falls in the period (patterns' and one-offs');
- *used*: of those, slots held by a booking (booked or confirmed) — a booking cancelled and not
  replaced does not count;
- *confirmed*: used slots whose patient called the secretariat with the code;
- *cancelled*: bookings cancelled (by the GP or the secretariat) on those slots;
- *released*: slots nobody held at their cut-off, given to the secretariat for any patient.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.words import N_
from reports.scope import Scope
from reports.tables import Column, Table
from rota.models import Specialty
from slots.models import BookingStatus, SlotStatus, UrgentSlot

TABLE = "urgent_slots"


def urgent_slots_table(session: Session, scope: Scope) -> Table:
    period = scope.period
    query = (
        select(UrgentSlot, Specialty.name_fr)
        .join(Specialty, Specialty.id == UrgentSlot.specialty_id)
        .where(UrgentSlot.starts_at >= period.start, UrgentSlot.starts_at < period.end)
        .options(selectinload(UrgentSlot.bookings))
    )
    if not scope.whole_hotline:
        query = query.where(UrgentSlot.specialty_id.in_(sorted(scope.specialty_ids)))
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for slot, name in session.execute(query):
        month = slot.starts_at.astimezone(period.zone).strftime("%Y-%m")
        row = counts[(name, month)]
        row[0] += 1
        holding = slot.booking
        if holding is not None:
            row[1] += 1
            row[2] += holding.status is BookingStatus.CONFIRMED
        row[3] += sum(b.status is BookingStatus.CANCELLED for b in slot.bookings)
        row[4] += slot.status is SlotStatus.RELEASED
    return Table(
        TABLE,
        N_("Urgent slots by specialty and month"),
        (
            Column(N_("specialty"), "text"),
            Column(N_("month"), "text"),
            Column(N_("offered")),
            Column(N_("used")),
            Column(N_("confirmed by the patient")),
            Column(N_("bookings cancelled")),
            Column(N_("released to the secretariat")),
        ),
        tuple((name, month, *values) for (name, month), values in sorted(counts.items())),
    )
