"""A small CHU for the demo: neurology with eight seniors taking turns on rotations (weekday days, nights,
weekends and public holidays, a backup), three other specialties, a head for each department, GPs.

Everything is made through the operations the pages use (audited as the system), so the audit log tells
the demo's history too. Phone numbers are in the 01 99 00 range, which the French regulator keeps for
fiction. :mod:`demo.calls` then writes three months of calls.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.actor import SYSTEM
from core.phones import to_e164
from directory.models import GeneralPractitioner, GpPhone
from rota import operations as rota
from rota.models import Specialty

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
NEUROLOGY_HEAD = "Pr Marie Lefèvre"
OTHERS = {
    "cardiology": (["Sophie Lambert", "Marc Rousseau", "Julie Vincent"], "Pr Alain Dubois"),
    "paediatrics": (["Emma Faure", "Thomas André", "Chloé Mercier"], "Pr Hélène Garnier"),
    "geriatrics": (["Anne Blanc", "Pierre Guerin", "Lucie Roche"], "Pr Jacques Perrin"),
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
    ("Dr Élise Picard", "10001234571", ["01 99 00 02 05"]),
    ("Dr François Lemaire", "10001234572", ["01 99 00 02 06"]),
    ("Dr Gaëlle Colin", "10001234573", ["01 99 00 02 07"]),
    ("Dr Henri Barbier", "10001234574", ["01 99 00 02 08"]),
    ("Dr Isabelle Noël", "10001234575", ["01 99 00 02 09"]),
    ("Dr Jean Meyer", "10001234576", ["01 99 00 02 10"]),
]


def is_empty(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(Specialty)) == 0


def _monday_before(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _turns(team: list[int], shift: int) -> list[int]:
    """The team in turn order, starting ``shift`` places on: two rotations of one team never give the
    same senior the day and the night of one week."""
    return team[shift:] + team[:shift]


def seed_demo(session: Session, today: date, days: int = 7, *, history_days: int = 92) -> dict[str, int]:
    """Create the demo hospital, its rotas valid from ``history_days`` before ``today`` (local) with no
    end, and its GPs. ``days`` is kept for callers of the first demo (the rotas now never run out).
    Returns what was made; the caller commits."""
    del days
    numbers = iter(f"+331990001{i:02d}" for i in range(100))
    anchor = _monday_before(today - timedelta(days=history_days))
    valid_from = datetime.combine(anchor, time(0), PARIS)
    counts = {"specialties": 0, "seniors": 0, "rotations": 0, "gps": 0}
    for code, department_name, digit, name_fr, name_en, keywords in SPECIALTIES:
        names, head_name = (NEUROLOGISTS, NEUROLOGY_HEAD) if code == "neurology" else OTHERS[code]
        # Public holidays count as Sundays ("dimanches et jours fériés"): the weekend rotation takes them.
        department = rota.create_department(session, SYSTEM, department_name, public_holidays="FR", swaps_need_approval=True)
        team = [rota.create_senior(session, SYSTEM, f"Dr {n}", [next(numbers)], staff_of=[department.id]).id for n in names]
        head = rota.create_senior(session, SYSTEM, head_name, [next(numbers)], staff_of=[department.id])
        rota.update_department(session, SYSTEM, department.id, heads=[head.id])
        specialty = rota.create_specialty(
            session,
            SYSTEM,
            department.id,
            rota.SpecialtySettings(
                code=code, name_fr=name_fr, name_en=name_en, menu_digit=digit, speech_keywords=keywords, last_resort_senior_id=head.id
            ),
        )
        counts["specialties"] += 1
        counts["seniors"] += len(team) + 1
        common = {"anchor": anchor, "valid_from": valid_from, "turn_days": 7}
        if code == "neurology":
            plan = [
                ("Jour de semaine", "primary", "12345", DAY_START, NIGHT_START, _turns(team, 0)),
                ("Nuit", "primary", "1234567", NIGHT_START, DAY_START, _turns(team, 4)),
                ("Week-end et fériés", "primary", "67", DAY_START, NIGHT_START, _turns(team, 2)),
                ("Renfort", "backup", "1234567", DAY_START, DAY_START, _turns(team, 1)),
            ]
        else:
            plan = [
                ("Jour", "primary", "1234567", DAY_START, NIGHT_START, _turns(team, 0)),
                ("Nuit", "primary", "1234567", NIGHT_START, DAY_START, _turns(team, 1)),
                ("Renfort", "backup", "1234567", DAY_START, DAY_START, _turns(team, 2)),
            ]
        for name, layer, weekdays, start, end, members in plan:
            rota.add_rotation(
                session, SYSTEM, specialty.id, name, layer, weekdays=weekdays, start=start, end=end, members=members, **common
            )
            counts["rotations"] += 1
    for name, rpps, phones in GPS:
        session.add(GeneralPractitioner(full_name=name, rpps=rpps, phones=[GpPhone(e164=to_e164(p)) for p in phones]))
        counts["gps"] += 1
    session.flush()
    return counts
