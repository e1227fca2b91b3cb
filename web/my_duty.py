"""One senior's duties over a period, across specialties (the "my duty" page and the iCal feed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from rota.coverage import coverage, duty_timeline
from rota.models import DutyOverride, DutySlot, Rotation, RotationMember, Specialty


@dataclass(frozen=True)
class Duty:
    specialty_id: int
    specialty: str
    layer: str
    starts_at: datetime
    ends_at: datetime


def related_specialty_ids(session: Session, senior_id: int) -> list[int]:
    """Specialties where the senior may hold a place: rotations, shifts, overrides naming them."""
    query = union(
        select(Rotation.specialty_id)
        .join(RotationMember, RotationMember.rotation_id == Rotation.id)
        .where(RotationMember.senior_id == senior_id),
        select(DutySlot.specialty_id).where(DutySlot.senior_id == senior_id),
        select(DutyOverride.specialty_id).where(DutyOverride.replacing_senior_id == senior_id),
        select(DutyOverride.specialty_id).where(DutyOverride.replaced_senior_id == senior_id),
    )
    return sorted(set(session.scalars(query)))


def duties_of(session: Session, senior_id: int, start: datetime, end: datetime) -> list[Duty]:
    ids = related_specialty_ids(session, senior_id)
    if not ids:
        return []
    names = dict(session.execute(select(Specialty.id, Specialty.name_fr).where(Specialty.id.in_(ids))).all())
    duties: list[Duty] = []
    for specialty_id, periods in duty_timeline(session, start, end, ids).items():
        for period in periods:
            for place in period.decision.places:
                if place.senior_id != senior_id:
                    continue
                last = duties[-1] if duties else None
                if last and last.specialty_id == specialty_id and last.layer == place.layer.value and last.ends_at == period.starts_at:
                    duties[-1] = Duty(specialty_id, last.specialty, last.layer, last.starts_at, period.ends_at)
                else:
                    duties.append(Duty(specialty_id, names.get(specialty_id, "?"), place.layer.value, period.starts_at, period.ends_at))
    return sorted(duties, key=lambda d: (d.starts_at, d.specialty))


def gap_seconds(session: Session, specialty_ids: list[int], start: datetime, end: datetime) -> dict[int, float]:
    """Seconds without a primary per specialty over the period."""
    report = coverage(session, start, end, specialty_ids)
    totals = {sid: 0.0 for sid in specialty_ids}
    for gap in report.gaps:
        totals[gap.specialty_id] = totals.get(gap.specialty_id, 0.0) + (gap.ends_at - gap.starts_at).total_seconds()
    return totals


def ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545: lines longer than 75 octets continue on the next line after a space."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > 75:
            out.append(current.decode())
            current = b" "
        current += encoded
    out.append(current.decode())
    return "\r\n".join(out)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics(senior_id: int, duties: list[Duty], now: datetime, titles: dict[str, str], calendar_name: str) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Recours//duty feed//FR",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{ics_escape(calendar_name)}",
    ]
    for duty in duties:
        lines += [
            "BEGIN:VEVENT",
            f"UID:recours-{senior_id}-{duty.specialty_id}-{duty.layer}-{_stamp(duty.starts_at)}@recours",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(duty.starts_at)}",
            f"DTEND:{_stamp(duty.ends_at)}",
            f"SUMMARY:{ics_escape(titles[duty.layer].format(specialty=duty.specialty))}",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
