"""Which departments a user heads and which departments a senior is a member of: the facts behind the
``OWN_DEPARTMENTS`` scope and the membership rule of :mod:`accounts.access`.

Membership is explicit: the ``department_staff`` rows (kept by administrators, and by a head for their
own departments) and the department's heads. Duty (rotation turns, single shifts, last resort) is *not*
membership: see issue 10, where a shift given to another department's senior made them one's own.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from accounts.access import Principal, authority_of, may_assign, may_manage_senior
from accounts.models import DepartmentStaff, Role, SecretariatDepartment, User
from core.actor import Actor, ActorKind
from core.errors import N_, Code, Kind, OperationError
from rota.models import DepartmentHead


def headed_department_ids(session: Session, senior_id: int | None) -> frozenset[int]:
    if senior_id is None:
        return frozenset()
    return frozenset(session.scalars(select(DepartmentHead.department_id).where(DepartmentHead.senior_id == senior_id)))


def principal_of(session: Session, user: User) -> Principal:
    headed = headed_department_ids(session, user.senior_id) if user.role is Role.HEAD else frozenset()
    # Only a senior account reads through its membership (the MEMBER scope): the other roles' scopes
    # never look at it, so their requests skip the query.
    member = departments_of_senior(session, user.senior_id) if user.role is Role.SENIOR and user.senior_id is not None else frozenset()
    desk = secretariat_department_ids(session, user.id) if user.role is Role.SECRETARIAT else frozenset()
    return Principal(
        role=user.role, senior_id=user.senior_id, headed_department_ids=headed, member_department_ids=member, desk_department_ids=desk
    )


def secretariat_department_ids(session: Session, user_id: int) -> frozenset[int]:
    return frozenset(session.scalars(select(SecretariatDepartment.department_id).where(SecretariatDepartment.user_id == user_id)))


def departments_of_senior(session: Session, senior_id: int) -> frozenset[int]:
    """The departments the senior is a member of (staff lists and heads)."""
    query = union(
        select(DepartmentStaff.department_id).where(DepartmentStaff.senior_id == senior_id),
        select(DepartmentHead.department_id).where(DepartmentHead.senior_id == senior_id),
    )
    return frozenset(session.scalars(query))


def memberships(session: Session, senior_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    """:func:`departments_of_senior` of many seniors in one query."""
    ids = sorted(set(senior_ids))
    found: dict[int, set[int]] = {sid: set() for sid in ids}
    if ids:
        query = union(
            select(DepartmentStaff.senior_id, DepartmentStaff.department_id).where(DepartmentStaff.senior_id.in_(ids)),
            select(DepartmentHead.senior_id, DepartmentHead.department_id).where(DepartmentHead.senior_id.in_(ids)),
        )
        for senior_id, department_id in session.execute(query):
            found[senior_id].add(department_id)
    return {sid: frozenset(deps) for sid, deps in found.items()}


def senior_ids_of_departments(session: Session, department_ids: frozenset[int]) -> set[int]:
    """The members of any of ``department_ids`` (the reverse of :func:`departments_of_senior`)."""
    if not department_ids:
        return set()
    ids = list(department_ids)
    query = union(
        select(DepartmentStaff.senior_id).where(DepartmentStaff.department_id.in_(ids)),
        select(DepartmentHead.senior_id).where(DepartmentHead.department_id.in_(ids)),
    )
    return set(session.scalars(query))


class MembershipError(OperationError):
    """A senior the actor may not give duty to, or whose record they may not change."""

    prefix = "membership"
    codes = {
        "not_a_member": Code(
            N_("This senior is not a member of your departments: ask an administrator to add them first."), Kind.FORBIDDEN, "senior_id"
        ),
        "shared_senior": Code(
            N_("This senior also belongs to another department: an administrator makes this change."), Kind.FORBIDDEN, "senior_id"
        ),
    }


def authority_of_actor(session: Session, actor: Actor) -> frozenset[int] | None:
    """The departments ``actor`` may change (:func:`accounts.access.authority_of`): a signed-in user's by
    their role, an API token's by its departments, the hospital's own (CLI, scheduler, system) all."""
    if actor.kind is ActorKind.USER:
        user = session.get(User, actor.user_id) if actor.user_id is not None else None
        return frozenset() if user is None or not user.active else authority_of(principal_of(session, user))
    if actor.kind is ActorKind.TOKEN:
        from api.models import ApiToken  # the API sits above accounts: imported only when a token acts
        from api.tokens import principal_of_token

        token = session.get(ApiToken, actor.token_id) if actor.token_id is not None else None
        return frozenset() if token is None or token.revoked_at is not None else authority_of(principal_of_token(token))
    return None


def check_assignable(
    session: Session, actor: Actor, seniors: Iterable[tuple[str, int | None]], *, department_id: int | None = None
) -> None:
    """Refuse (:class:`MembershipError`) the first of ``seniors`` ((field, senior id) pairs) that ``actor``
    may not give duty to (:func:`accounts.access.may_assign`): only members of their departments — or,
    with ``department_id`` (a swap a senior asks for themselves), members of that department."""
    wanted = [(name, sid) for name, sid in seniors if sid is not None]
    authority = authority_of_actor(session, actor)
    if authority is None or not wanted:
        return
    if department_id is not None:
        authority = frozenset([department_id])
    found = memberships(session, (sid for _name, sid in wanted))
    for name, senior_id in wanted:
        if not may_assign(authority, found[senior_id]):
            raise MembershipError("not_a_member", field=name)


def check_manageable(session: Session, actor: Actor, senior_id: int, field: str = "senior_id") -> None:
    """Refuse (:class:`MembershipError`) a change by ``actor`` to a senior's phones, leave or active flag
    when the senior belongs to a department outside the actor's (:func:`accounts.access.may_manage_senior`).
    The senior's own changes are theirs to make."""
    if actor.senior_id is not None and actor.senior_id == senior_id:
        return
    if not may_manage_senior(authority_of_actor(session, actor), departments_of_senior(session, senior_id)):
        raise MembershipError("shared_senior", field=field)
