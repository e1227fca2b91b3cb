"""A small hospital: four specialties, eight neurologists taking turns, a week of duty, some GPs.

Phone numbers are in the 01 99 00 range, which the French regulator keeps for fiction.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import DepartmentStaff
from core.phones import to_e164
from directory.models import GeneralPractitioner, GpPhone
from rota.models import Department, DutySlot, Layer, Senior, SeniorPhone, Specialty

PARIS = ZoneInfo("Europe/Paris")
DAY_START, NIGHT_START = time(8, 30), time(18, 30)

NEUROLOGISTS = [
    "Claire Martin",
    "Hugo Bernard",
    "Inès Petit",
    "Louis Durand",
    "Camille Leroy",
    "Nathan Moreau",
    "Léa Fournier",
    "Paul Girard",
]
OTHERS = {
    "cardiology": ["Sophie Lambert", "Marc Rousseau", "Julie Vincent"],
    "paediatrics": ["Emma Faure", "Thomas André", "Chloé Mercier"],
    "geriatrics": ["Anne Blanc", "Pierre Guerin"],
}
SPECIALTIES = [
    # code, department, digit, French, English, keywords
    ("neurology", "Neurologie", "1", "neurologie", "neurology", "neurologie, neuro, neurologue, neurology, AVC, stroke"),
    ("cardiology", "Cardiologie", "2", "cardiologie", "cardiology", "cardiologie, cardio, cardiologue, cardiology, coeur, heart"),
    ("paediatrics", "Pédiatrie", "3", "pédiatrie", "paediatrics", "pédiatrie, pédiatre, pediatrie, enfant, paediatrics, pediatrics, child"),
    ("geriatrics", "Gériatrie", "4", "gériatrie", "geriatrics", "gériatrie, gériatre, geriatrie, personne âgée, geriatrics, elderly"),
]
GPS = [
    ("Dr Alice Renaud", "10001234567", ["01 99 00 02 01"]),
    ("Dr Bruno Caron", "10001234568", ["01 99 00 02 02", "01 99 00 02 12"]),
    ("Dr Céline Masson", "10001234569", ["01 99 00 02 03"]),
    ("Dr Denis Roy", "10001234570", ["01 99 00 02 04"]),
]


def is_empty(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(Specialty)) == 0


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, PARIS)


def seed_demo(session: Session, today: date, days: int = 7) -> dict[str, int]:
    """Create the demo hospital with duty from ``today`` (local) for ``days`` days. Caller commits."""
    numbers = iter(f"+331990001{i:02d}" for i in range(100))
    seniors: dict[str, list[Senior]] = {}
    for code, names in [("neurology", NEUROLOGISTS), *OTHERS.items()]:
        seniors[code] = [Senior(full_name=f"Dr {n}", phones=[SeniorPhone(e164=next(numbers), preference=0)]) for n in names]
        session.add_all(seniors[code])
    slots = 0
    for code, department_name, digit, name_fr, name_en, keywords in SPECIALTIES:
        team = seniors[code]
        department = Department(name=department_name, timezone="Europe/Paris")
        specialty = Specialty(
            code=code,
            department=department,
            name_fr=name_fr,
            name_en=name_en,
            menu_digit=digit,
            speech_keywords=keywords,
            last_resort=team[-1],
        )
        session.add(specialty)
        session.flush()
        # The team are members of the department: what lets its heads manage them (accounts.scope).
        session.add_all(DepartmentStaff(department_id=department.id, senior_id=member.id) for member in team)
        for offset in range(-1, days):
            day = today + timedelta(days=offset)
            # Day duty 08:30-18:30 and night duty 18:30-08:30 local time, taking turns; the next
            # senior in the list is the backup.
            for half, (start, end) in enumerate(
                [(_local(day, DAY_START), _local(day, NIGHT_START)), (_local(day, NIGHT_START), _local(day + timedelta(days=1), DAY_START))]
            ):
                turn = (2 * (offset + 1) + half) % len(team)
                for layer, senior in ((Layer.PRIMARY, team[turn]), (Layer.BACKUP, team[(turn + 1) % len(team)])):
                    session.add(DutySlot(specialty=specialty, senior=senior, layer=layer, starts_at=start, ends_at=end))
                    slots += 1
    for name, rpps, phones in GPS:
        session.add(GeneralPractitioner(full_name=name, rpps=rpps, phones=[GpPhone(e164=to_e164(p)) for p in phones]))
    session.flush()
    return {"specialties": len(SPECIALTIES), "seniors": sum(len(t) for t in seniors.values()), "duty_slots": slots, "gps": len(GPS)}
