"""A small hospital for the API tests: two departments, a rotation, tokens of each kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

import pytest

from accounts.models import DepartmentStaff
from api.tokens import create_token
from core.actor import SYSTEM
from rota import operations
from tests.conftest import FIXED_NOW
from tests.rota.builders import ANCHOR_MONDAY, DAY, department, senior, specialty, utc


@dataclass
class World:
    neuro_id: int
    cardio_id: int
    dept_id: int
    other_dept_id: int
    alice: int
    bob: int
    carol: int
    rotation_id: int
    writer: str  # may change Neurosciences
    reader: str  # read-only
    other: str  # may change Cardiologie only
    revoked: str
    admin: str  # may change every department, and create departments

    def auth(self, secret: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {secret or self.writer}"}


@pytest.fixture
def world(app, session, frozen_clock) -> World:
    neuro_dept = department(session, "Neurosciences")
    cardio_dept = department(session, "Cardiologie")
    neuro = specialty(session, neuro_dept, "NEURO")
    cardio = specialty(session, cardio_dept, "CARDIO")
    alice, bob, carol = senior(session, "Alice Martin"), senior(session, "Bob Durand"), senior(session, "Carol Petit")
    rotation = operations.add_rotation(
        session,
        SYSTEM,
        neuro.id,
        "Jour",
        "primary",
        weekdays="12345",
        start=DAY,
        end=time(18, 30),
        members=[alice.id, bob.id],
        turn_days=7,
        anchor=ANCHOR_MONDAY,
        valid_from=utc(2026, 1, 1),
    )
    # Members: Alice and Bob of Neurosciences (they take its turns), Carol of both departments.
    session.add_all(
        [
            DepartmentStaff(department_id=neuro_dept.id, senior_id=alice.id),
            DepartmentStaff(department_id=neuro_dept.id, senior_id=bob.id),
            DepartmentStaff(department_id=neuro_dept.id, senior_id=carol.id),
            DepartmentStaff(department_id=cardio_dept.id, senior_id=carol.id),
        ]
    )
    _, writer = create_token(session, SYSTEM, "planning", [neuro_dept], read_only=False, at=FIXED_NOW)
    _, reader = create_token(session, SYSTEM, "dashboard", [], read_only=True, at=FIXED_NOW)
    _, other = create_token(session, SYSTEM, "cardio planning", [cardio_dept], read_only=False, at=FIXED_NOW)
    gone, revoked = create_token(session, SYSTEM, "old", [neuro_dept], read_only=False, at=FIXED_NOW)
    gone.revoked_at = FIXED_NOW
    _, admin = create_token(session, SYSTEM, "IT", [], read_only=False, all_departments=True, at=FIXED_NOW)
    session.commit()
    return World(
        neuro.id, cardio.id, neuro_dept.id, cardio_dept.id, alice.id, bob.id, carol.id, rotation.id, writer, reader, other, revoked, admin
    )
