"""The access matrix: who may do what, written once. Every view asks :func:`can` (through
:func:`web.security.requires`), and ``tests/web/test_access_matrix.py`` walks every route with every role
against this table.

A role either may not do an action at all (absent from its row), or may do it within a *scope*:

- ``ALL`` — on anything;
- ``OWN_DEPARTMENTS`` — on what belongs to a department the user heads (``department_head``, the rota's
  record of heads); a page that lists things shows only those. A *senior's own record* (phones, active
  flag, leave) belongs to every department the senior is a member of, and a head may change it only
  when all of them are theirs (:meth:`Target.senior_record`): a senior shared with another department is
  changed by an administrator, never by one head behind the other's back;
- ``MEMBER`` — on what belongs to a department the user's senior record is a member of (staff lists and
  heads, :func:`accounts.scope.departments_of_senior`): a senior reads the rota and the callback requests of their own
  specialties, never another department's;
- ``SELF`` — on the user's own senior record (their duty, phones, leave, swaps, iCal link); a user who is
  not linked to a senior has nothing of their own.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass, field

from accounts.models import Role


class Scope(enum.StrEnum):
    ALL = "all"
    OWN_DEPARTMENTS = "own_departments"
    MEMBER = "member_departments"
    SELF = "self"


A, D, M, S = Scope.ALL, Scope.OWN_DEPARTMENTS, Scope.MEMBER, Scope.SELF
ADMIN, HEAD, MANAGER, SENIOR, SECRETARIAT = Role.ADMIN, Role.HEAD, Role.MANAGER, Role.SENIOR, Role.SECRETARIAT

MATRIX: dict[str, dict[Role, Scope]] = {
    # Who is on duty now, every specialty: the hotline's answer is no secret inside the hospital.
    "board.view": {ADMIN: A, HEAD: A, MANAGER: A, SENIOR: A},
    # A specialty's rota as a week or a month, with gaps and conflicts; a senior, read-only, the rota of
    # their own departments' specialties (where they pick a colleague's duty to ask for a swap).
    "rota.view": {ADMIN: A, HEAD: A, MANAGER: A, SENIOR: M},
    # Rotations, single shifts, overrides, leave.
    "rota.edit": {ADMIN: A, HEAD: D},
    # A head approves or rejects the swaps of their departments (rota.operations requires a head).
    "swap.decide": {HEAD: D},
    # Menu digit, names, speech keywords, direct number, last resort; creating a specialty.
    "specialty.edit": {ADMIN: A, HEAD: D},
    # Creating departments, their settings (time zone, leave policy, holidays) and heads.
    "department.edit": {ADMIN: A},
    "seniors.view": {ADMIN: A, HEAD: A, MANAGER: A},
    # A senior's name, phone numbers, active flag and department staff lists.
    "seniors.edit": {ADMIN: A, HEAD: D},
    "audit.view": {ADMIN: A, HEAD: D},
    "gps.view": {ADMIN: A, HEAD: A, MANAGER: A},
    "gps.edit": {ADMIN: A},
    "users.manage": {ADMIN: A},
    "softphone.use": {ADMIN: A},
    # The live board of the hotline (calls in progress, today's figures, callbacks, gaps ahead).
    "board.live": {ADMIN: A, MANAGER: A, HEAD: D},
    # The call log: every call, its attempts and its timeline (who was rung, when, what came of it).
    "calls.view": {ADMIN: A, MANAGER: A, HEAD: D},
    # Callback requests: the list, who took each, the GP's recorded message (played through the app).
    "callbacks.view": {ADMIN: A, MANAGER: A, HEAD: D, SENIOR: M},
    # Marking a request done by hand (the GP was called back from another phone, or reached otherwise).
    "callbacks.close": {ADMIN: A, MANAGER: A, HEAD: D, SENIOR: M},
    # For reports/: reports of every department, or of the departments one heads.
    "reports.view": {ADMIN: A, MANAGER: A, HEAD: D},
    # One's own things, whatever the role, when the account is linked to a senior.
    "self.duty": {ADMIN: S, HEAD: S, MANAGER: S, SENIOR: S},
    "self.phones": {ADMIN: S, HEAD: S, MANAGER: S, SENIOR: S},
    "self.leave": {ADMIN: S, HEAD: S, MANAGER: S, SENIOR: S},
    "self.swaps": {ADMIN: S, HEAD: S, MANAGER: S, SENIOR: S},
    "self.ical": {ADMIN: S, HEAD: S, MANAGER: S, SENIOR: S},
    # One's own account: password, language.
    "account.manage": {ADMIN: A, HEAD: A, MANAGER: A, SENIOR: A, SECRETARIAT: A},
    # Urgent slots (slots/): the secretariat's desk (today's and tomorrow's bookings: confirm, cancel),
    # for the departments a secretariat works for or a head heads.
    "slots.desk": {ADMIN: A, HEAD: D, SECRETARIAT: D},
    # A specialty's urgent slot patterns and one-offs.
    "slots.manage": {ADMIN: A, HEAD: D},
    # The hospital's own recordings of the hotline's prompts (voice/).
    "voice.manage": {ADMIN: A},
}


@dataclass(frozen=True)
class Principal:
    """What access decisions need to know about the signed-in user."""

    role: Role
    senior_id: int | None = None
    headed_department_ids: frozenset[int] = frozenset()
    # The departments the user's senior record belongs to (staff lists and heads): the MEMBER scope.
    member_department_ids: frozenset[int] = frozenset()
    # The departments a secretariat account works for (its OWN_DEPARTMENTS; it heads none).
    desk_department_ids: frozenset[int] = frozenset()

    @property
    def own_department_ids(self) -> frozenset[int]:
        """The departments of the ``OWN_DEPARTMENTS`` scope: headed ones, or a secretariat's."""
        return self.headed_department_ids | self.desk_department_ids


@dataclass(frozen=True)
class Target:
    """What an action is about: the departments it belongs to and, for one's own things, the senior.

    ``Target()`` is a page that is not about one thing (a list, a creation form of the whole hospital).
    """

    department_ids: frozenset[int] = field(default_factory=frozenset)
    senior_id: int | None = None
    about_one_thing: bool = True
    # True: every one of ``department_ids`` must be the user's (a senior's record), not just one.
    needs_every_department: bool = False

    @classmethod
    def departments(cls, *ids: int) -> Target:
        return cls(department_ids=frozenset(ids))

    @classmethod
    def of_department_ids(cls, ids: Collection[int]) -> Target:
        return cls(department_ids=frozenset(ids))

    @classmethod
    def senior_record(cls, membership: Collection[int]) -> Target:
        """A senior's phones, active flag or leave: belongs to all of the senior's departments."""
        return cls(department_ids=frozenset(membership), needs_every_department=True)

    @classmethod
    def page(cls) -> Target:
        return cls(about_one_thing=False)

    @classmethod
    def senior(cls, senior_id: int | None) -> Target:
        return cls(senior_id=senior_id)


def scope_of(principal: Principal, action: str) -> Scope | None:
    if action not in MATRIX:
        raise KeyError(f"unknown action {action!r}: add it to accounts.access.MATRIX")
    return MATRIX[action].get(principal.role)


def can(principal: Principal | None, action: str, target: Target | None = None) -> bool:
    """May ``principal`` do ``action`` on ``target``? Anonymous users may do nothing here."""
    if principal is None:
        return False
    scope = scope_of(principal, action)
    target = target or Target.page()
    if scope is None:
        return False
    if scope is Scope.ALL:
        return True
    if scope is Scope.SELF:
        return principal.senior_id is not None and (target.senior_id is None or target.senior_id == principal.senior_id)
    # OWN_DEPARTMENTS and MEMBER: a page of lists is open (it shows only their departments); one thing
    # must be theirs.
    if not target.about_one_thing:
        return True
    theirs = principal.member_department_ids if scope is Scope.MEMBER else principal.own_department_ids
    if target.needs_every_department:
        return bool(target.department_ids) and target.department_ids <= theirs
    return bool(target.department_ids & theirs)


def visible_department_ids(principal: Principal, action: str) -> frozenset[int] | None:
    """For list pages: None means every department, else only these (empty: none)."""
    scope = scope_of(principal, action)
    if scope is Scope.ALL:
        return None
    if scope is Scope.OWN_DEPARTMENTS:
        return principal.own_department_ids
    if scope is Scope.MEMBER:
        return principal.member_department_ids
    return frozenset()


# -- membership: who may be given duty, and whose record may be changed ------------------------------
#
# Authority over the rota comes from membership, never from assignment: holding a shift, a rotation turn
# or the last-resort slot of a department's specialty does not make a senior that department's. The same
# two functions decide for the web pages (with the signed-in head's departments), the API (with the
# token's departments) and the CLI and administrators (``None``: the whole hospital).
#
# ``authority``: the departments the actor may change — ``None`` for everything (administrator, CLI).


def authority_of(principal: Principal) -> frozenset[int] | None:
    """The departments ``principal`` may change: None (all) for an administrator, the headed ones for a head."""
    if principal.role is Role.ADMIN:
        return None
    if principal.role is Role.HEAD:
        return principal.headed_department_ids
    return frozenset()


def may_assign(authority: frozenset[int] | None, senior_membership: Collection[int]) -> bool:
    """May a senior with this membership be given duty (shift, turn, override, swap, last resort) by an
    actor with this authority? Only seniors of the actor's own departments."""
    return authority is None or bool(authority & frozenset(senior_membership))


def may_manage_senior(authority: frozenset[int] | None, senior_membership: Collection[int]) -> bool:
    """May the actor change the senior's phones, leave or active flag? Only when the senior belongs to
    no department outside the actor's (and to at least one of theirs)."""
    if authority is None:
        return True
    membership = frozenset(senior_membership)
    return bool(membership) and membership <= authority
