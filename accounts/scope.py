"""Which departments a user heads and which departments a senior belongs to: the facts behind the
``OWN_DEPARTMENTS`` scope of :mod:`accounts.access`."""

from __future__ import annotations

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from accounts.access import Principal
from accounts.models import DepartmentStaff, Role, User
from rota.models import DepartmentHead, DutySlot, Rotation, RotationMember, Specialty


def headed_department_ids(session: Session, senior_id: int | None) -> frozenset[int]:
    if senior_id is None:
        return frozenset()
    return frozenset(session.scalars(select(DepartmentHead.department_id).where(DepartmentHead.senior_id == senior_id)))


def principal_of(session: Session, user: User) -> Principal:
    headed = headed_department_ids(session, user.senior_id) if user.role is Role.HEAD else frozenset()
    return Principal(role=user.role, senior_id=user.senior_id, headed_department_ids=headed)


def departments_of_senior(session: Session, senior_id: int) -> frozenset[int]:
    """The departments whose heads may edit this senior: staff lists, heads, rotation members, holders
    of single shifts and last resorts of their specialties."""
    query = union(
        select(DepartmentStaff.department_id).where(DepartmentStaff.senior_id == senior_id),
        select(DepartmentHead.department_id).where(DepartmentHead.senior_id == senior_id),
        select(Specialty.department_id)
        .join(Rotation, Rotation.specialty_id == Specialty.id)
        .join(RotationMember, RotationMember.rotation_id == Rotation.id)
        .where(RotationMember.senior_id == senior_id),
        select(Specialty.department_id).join(DutySlot, DutySlot.specialty_id == Specialty.id).where(DutySlot.senior_id == senior_id),
        select(Specialty.department_id).where(Specialty.last_resort_senior_id == senior_id),
    )
    return frozenset(session.scalars(query))


def senior_ids_of_departments(session: Session, department_ids: frozenset[int]) -> set[int]:
    """The seniors belonging to any of ``department_ids`` (the reverse of :func:`departments_of_senior`)."""
    if not department_ids:
        return set()
    ids = list(department_ids)
    query = union(
        select(DepartmentStaff.senior_id).where(DepartmentStaff.department_id.in_(ids)),
        select(DepartmentHead.senior_id).where(DepartmentHead.department_id.in_(ids)),
        select(RotationMember.senior_id)
        .join(Rotation, Rotation.id == RotationMember.rotation_id)
        .join(Specialty, Specialty.id == Rotation.specialty_id)
        .where(Specialty.department_id.in_(ids)),
        select(DutySlot.senior_id).join(Specialty, Specialty.id == DutySlot.specialty_id).where(Specialty.department_id.in_(ids)),
        select(Specialty.last_resort_senior_id).where(Specialty.department_id.in_(ids), Specialty.last_resort_senior_id.is_not(None)),
    )
    return set(session.scalars(query))
