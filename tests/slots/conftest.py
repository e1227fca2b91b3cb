"""A hospital with urgent slots: neurology publishes two a day, 11:30 and 16:30 on weekdays."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from accounts import operations as accounts
from core.actor import SYSTEM
from rota.models import Department, Specialty
from slots import operations as slots
from tests.hospital import Hospital, build_hospital

PASSWORD = "a long enough test password"
SECRETARIAT_EMAIL = "secretariat.neuro@hopital.fr"
PLACE = "Bâtiment B, 2e étage, consultation de neurologie"


@dataclass
class SlotHospital:
    hospital: Hospital
    department_id: int
    other_department_id: int
    pattern_id: int
    secretariat_user_id: int
    other_secretariat_user_id: int


@pytest.fixture(autouse=True)
def cheap_password_hashing():
    from argon2 import PasswordHasher

    from accounts import passwords

    previous = passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    yield
    passwords.use_hasher(previous)


def build_slot_hospital(session, now) -> SlotHospital:
    hospital = build_hospital(session, now)
    department_id = session.scalar(select(Specialty.department_id).where(Specialty.id == hospital.neurology_id))
    other = Department(name="Cardiologie", timezone="Europe/Paris")
    session.add(other)
    session.flush()
    pattern = slots.add_pattern(
        session, SYSTEM, hospital.neurology_id, slots.PatternSettings(weekdays="12345", times="11:30, 16:30", place=PLACE), at=now
    )
    secretariat = accounts.create_user(
        session, SYSTEM, email=SECRETARIAT_EMAIL, full_name="Secrétariat de neurologie", role="secretariat",
        password=PASSWORD, departments=[department_id], at=now,
    )  # fmt: skip
    elsewhere = accounts.create_user(
        session, SYSTEM, email="secretariat.cardio@hopital.fr", full_name="Secrétariat de cardiologie", role="secretariat",
        password=PASSWORD, departments=[other.id], at=now,
    )  # fmt: skip
    session.commit()
    return SlotHospital(hospital, department_id, other.id, pattern.id, secretariat.id, elsewhere.id)


@pytest.fixture
def slot_hospital(session, frozen_clock) -> SlotHospital:
    return build_slot_hospital(session, frozen_clock[0])
