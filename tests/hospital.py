"""A small, fully known hospital for scenario tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from directory.models import GeneralPractitioner, GpPhone
from rota.models import Department, DutySlot, Layer, Senior, SeniorPhone, Specialty

PRIMARY = "+33199000101"
BACKUP = "+33199000102"
HEAD = "+33199000109"
CARDIO_PRIMARY = "+33199000111"
GP_KNOWN = "+33199000201"
GP_UNKNOWN = "+33199000299"
NEURO_DIRECT = "+33199000050"


@dataclass
class Hospital:
    neurology_id: int
    cardiology_id: int
    paediatrics_id: int
    primary_id: int
    backup_id: int
    head_id: int


def _senior(name: str, number: str) -> Senior:
    return Senior(full_name=name, phones=[SeniorPhone(e164=number, preference=0)])


def build_hospital(session: Session, now: datetime) -> Hospital:
    """Neurology (key 1): a primary, a backup and the head as last resort, on duty around ``now``.
    Cardiology (key 2): nobody on duty and no last resort. Paediatrics (key 3, speech "pédiatrie"):
    a primary whose duty starts exactly at ``now`` and one whose duty ended exactly at ``now``."""
    department = Department(name="Neurosciences", timezone="Europe/Paris")
    primary, backup, head = _senior("Dr Claire Martin", PRIMARY), _senior("Dr Hugo Bernard", BACKUP), _senior("Pr Anne Chef", HEAD)
    neurology = Specialty(
        code="neurology",
        department=department,
        name_fr="neurologie",
        name_en="neurology",
        menu_digit="1",
        speech_keywords="neurologie, neuro, neurologue, AVC",
        direct_number=NEURO_DIRECT,
        last_resort=head,
    )
    cardiology = Specialty(
        code="cardiology",
        department=department,
        name_fr="cardiologie",
        name_en="cardiology",
        menu_digit="2",
        speech_keywords="cardio, cardiologue",
    )
    paediatrics = Specialty(
        code="paediatrics",
        department=department,
        name_fr="pédiatrie",
        name_en="paediatrics",
        menu_digit="3",
        speech_keywords="pédiatre, enfant",
    )
    incoming, outgoing = _senior("Dr Emma Faure", "+33199000121"), _senior("Dr Tom André", "+33199000122")
    day = timedelta(hours=10)
    session.add_all(
        [
            DutySlot(specialty=neurology, senior=primary, layer=Layer.PRIMARY, starts_at=now - day, ends_at=now + day),
            DutySlot(specialty=neurology, senior=backup, layer=Layer.BACKUP, starts_at=now - day, ends_at=now + day),
            DutySlot(specialty=paediatrics, senior=incoming, layer=Layer.PRIMARY, starts_at=now, ends_at=now + day),
            DutySlot(specialty=paediatrics, senior=outgoing, layer=Layer.PRIMARY, starts_at=now - day, ends_at=now),
            cardiology,
            GeneralPractitioner(full_name="Alice Renaud", rpps="10001234567", phones=[GpPhone(e164=GP_KNOWN)]),
        ]
    )
    session.commit()
    return Hospital(neurology.id, cardiology.id, paediatrics.id, primary.id, backup.id, head.id)
