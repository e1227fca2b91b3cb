"""Every route of the web app, with every role, against the one access matrix (accounts/access.py).

For each route the expected answer is *computed from the matrix* — ``can(principal, action, target)`` with
the route's own declared action and target — never written by hand, and the response must agree:
403 when the matrix forbids, anything but 403 (and no server error) when it allows, the sign-in page for
anonymous visitors. A route that declares neither an action nor ``@public`` fails the test.
Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import re

from flask import Flask

from accounts.access import MATRIX, Principal, Role, Target, can
from accounts.models import User
from accounts.scope import principal_of
from core import db
from tests.web.conftest import World, body, csrf_token, sign_in, through_preview

ROLES = ["anonymous", "admin", "head", "manager", "senior", "secretariat"]
PUBLIC_OUTSIDE_WEB = {"home"}  # "/" redirects to the board, which is itself guarded


def web_rules(app: Flask):
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if (rule.endpoint.startswith("web.") and rule.endpoint != "web.static") or rule.endpoint in PUBLIC_OUTSIDE_WEB
        ),
        key=lambda r: (r.rule, r.endpoint),
    )


def argument_values(world: World, token: str) -> dict[str, list[object]]:
    """For each URL argument, a thing of department A (headed by "head") and one of department B."""
    return {
        "specialty_id": [world.neuro, world.cardio],
        "rotation_id": [world.rotation_a, world.rotation_b],
        "shift_id": [world.shift_a, world.shift_b],
        "override_id": [world.override_a, world.override_b],
        "leave_id": [world.leave_a, world.leave_b],
        "senior_id": [world.senior_a2, world.senior_b],
        "department_id": [world.dept_a, world.dept_b],
        "gp_id": [world.gp],
        "user_id": [world.users["manager"]],
        "entry_id": [world.audit_a, world.audit_b],
        "swap_id": [world.swap_a, world.swap_b],
        "token": [token],
        "pattern_id": [world.pattern_a, world.pattern_b],
        "slot_id": [world.slot_a, world.slot_b],
        "booking_id": [world.booking_a, world.booking_b],
        "key": ["greeting"],
        "language": ["fr"],
        "call_id": [world.call_a, world.call_b],
        "request_id": [world.request_a, world.request_b],
    }


def expected(app: Flask, view, principal: Principal | None, args: dict) -> str:
    """ "public", "sign-in", "allowed" or "forbidden", from the matrix."""
    if getattr(view, "public", False):
        return "public"
    if principal is None:
        return "sign-in"
    resolver = view.target_resolver
    with app.test_request_context():
        target = resolver(**args) if resolver is not None else Target.page()
    return "allowed" if can(principal, view.required_action, target) else "forbidden"


def test_every_route_declares_an_action_or_is_public(app: Flask):
    undeclared = []
    for rule in web_rules(app):
        view = app.view_functions[rule.endpoint]
        if rule.endpoint in PUBLIC_OUTSIDE_WEB:
            continue
        if not (getattr(view, "public", False) or getattr(view, "required_action", None) in MATRIX):
            undeclared.append(rule.endpoint)
    assert undeclared == []


def test_every_action_of_the_matrix_names_known_roles():
    for action, row in MATRIX.items():
        assert set(row) <= set(Role), action


def test_every_route_with_every_role_follows_the_matrix(app: Flask, world: World):
    with app.app_context():
        session = db.session()
        token = world.ical_secret
        principals = {"anonymous": None}
        for role in ROLES[1:]:
            user = session.get(User, world.users[role])
            principals[role] = principal_of(session, user)
    values = argument_values(world, token)
    checked, mismatches = 0, []
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            sign_in(client, role)
        for rule in web_rules(app):
            view = app.view_functions[rule.endpoint]
            names = sorted(rule.arguments)
            for combination in itertools.product(*(values[name] for name in names)):
                args = dict(zip(names, combination, strict=True))
                with app.test_request_context():
                    from flask import url_for

                    url = url_for(rule.endpoint, **args)
                want = expected(app, view, principals[role], args) if rule.endpoint not in PUBLIC_OUTSIDE_WEB else "public"
                if "GET" in rule.methods:
                    response = client.get(url)
                else:
                    response = client.post(url, data={"csrf_token": csrf_token(client, "/sign-in" if role == "anonymous" else "/account")})
                checked += 1
                status = response.status_code
                ok = {
                    "public": status < 500 and status != 403,
                    "sign-in": status == 302 and "/sign-in" in response.headers.get("Location", ""),
                    "allowed": status < 500
                    and status != 403
                    and ("/sign-in" not in response.headers.get("Location", "") or rule.endpoint == "web.auth.sign_out"),
                    "forbidden": status == 403,
                }[want]
                if not ok:
                    mismatches.append(f"{role:<9} {rule.methods - {'HEAD', 'OPTIONS'}} {url}: matrix says {want}, got {status}")
                if rule.endpoint == "web.auth.sign_out" and role != "anonymous":
                    sign_in(client, role)  # walking on needs the session back
    assert mismatches == [], "\n".join(mismatches)
    assert checked > 150


# -- indirect chains (issue 10): two permitted steps must not make a forbidden one ------------------------

FINGERPRINT = re.compile(r'name="fingerprint"[^>]*value="([^"]*)"')


def _form_post(client, page: str, data: dict, action: str | None = None):
    """Open ``page`` (for its CSRF token and fingerprint) and post ``data`` to it (or to ``action``)."""
    html = client.get(page).get_data(as_text=True)
    fingerprint = FINGERPRINT.search(html)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    answer = client.post(action or page, data={"csrf_token": token, "fingerprint": fingerprint.group(1) if fingerprint else "new", **data})
    return through_preview(client, answer)  # a rota change shows its effect first: confirmed here


def _count(app, model) -> int:
    from sqlalchemy import func, select

    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model))


def test_a_head_cannot_give_duty_in_their_specialty_to_another_departments_senior(app, world):
    from rota.models import DutyOverride, DutySlot, Rotation, Specialty

    head = sign_in(app.test_client(), "head")
    refused = "n'est pas membre de vos services"
    shifts, overrides, rotations = _count(app, DutySlot), _count(app, DutyOverride), _count(app, Rotation)
    shift = _form_post(
        head,
        f"/specialties/{world.neuro}/shifts/new",
        {"senior_id": world.senior_b, "layer": "backup", "starts_at": "2026-03-12T08:30", "ends_at": "2026-03-12T09:30"},
    )
    assert shift.status_code == 200 and refused in body(shift)
    override = _form_post(
        head,
        f"/specialties/{world.neuro}/overrides/new",
        {"replaced_id": world.senior_a, "replacing_id": world.senior_b, "starts_at": "2026-03-12T08:30", "ends_at": "2026-03-12T09:30"},
    )
    assert override.status_code == 200 and refused in body(override)
    rotation = _form_post(
        head,
        f"/specialties/{world.neuro}/rotations/new",
        {
            "name": "Nuit",
            "layer": "backup",
            "weekdays": "1",
            "start_time": "18:30",
            "end_time": "08:30",
            "turn_days": "7",
            "anchor_date": "2026-03-09",
            "members-0": str(world.senior_b),
            "valid_from": "2026-03-09T00:00",
        },
    )
    assert rotation.status_code == 200 and refused in body(rotation)
    assert (_count(app, DutySlot), _count(app, DutyOverride), _count(app, Rotation)) == (shifts, overrides, rotations)
    # The last-resort slot of their specialty, the chain that deactivated a paediatrician.
    with app.app_context():
        neuro = db.session().get(Specialty, world.neuro)
        fields = {"code": neuro.code, "name_fr": neuro.name_fr, "name_en": neuro.name_en, "menu_digit": neuro.menu_digit}
    last_resort = _form_post(
        head, f"/specialties/{world.neuro}/edit", {**fields, "speech_keywords": "neuro", "last_resort_senior_id": world.senior_b}
    )
    assert last_resort.status_code == 200 and refused in body(last_resort)
    with app.app_context():
        assert db.session().get(Specialty, world.neuro).last_resort_senior_id is None
    # Their own senior is fine.
    own = _form_post(
        head,
        f"/specialties/{world.neuro}/shifts/new",
        {"senior_id": world.senior_a2, "layer": "backup", "starts_at": "2026-03-12T08:30", "ends_at": "2026-03-12T09:30"},
    )
    assert own.status_code == 302 and _count(app, DutySlot) == shifts + 1


def test_duty_in_ones_specialty_does_not_make_another_departments_senior_ones_own(app, world):
    """The audit's chain: a shift in neurology for a cardiologist, then their phone or leave. An
    administrator may lend a cardiologist to neurology; the neurology head still cannot touch them."""
    admin, head = sign_in(app.test_client(), "admin"), sign_in(app.test_client(), "head")
    lent = _form_post(
        admin,
        f"/specialties/{world.neuro}/shifts/new",
        {"senior_id": world.senior_b, "layer": "backup", "starts_at": "2026-03-10T10:00", "ends_at": "2026-03-10T11:00"},
    )
    assert lent.status_code == 302
    assert head.get(f"/seniors/{world.senior_b}/edit").status_code == 403
    phones = head.post(
        f"/seniors/{world.senior_b}/edit",
        data={"csrf_token": csrf_token(head, "/account"), "full_name": "x", "phones": "+33199000666", "active": "", "fingerprint": "x"},
    )
    assert phones.status_code == 403
    leave = head.post(
        f"/seniors/{world.senior_b}/leave/new",
        data={
            "csrf_token": csrf_token(head, "/account"),
            "starts_at": "2026-03-10T00:00",
            "ends_at": "2026-03-20T00:00",
            "fingerprint": "new",
        },
    )
    assert leave.status_code == 403
    assert head.get(f"/leave/{world.leave_b}/edit").status_code == 403
    with app.app_context():
        from rota.models import Senior

        senior_b = db.session().get(Senior, world.senior_b)
        assert senior_b.active and [p.e164 for p in senior_b.phones] == ["+33199000111"]


def test_a_senior_shared_by_two_departments_is_changed_by_an_administrator_only(app, world):
    from accounts.models import DepartmentStaff

    with app.app_context():
        db.session().add(DepartmentStaff(department_id=world.dept_a, senior_id=world.senior_b))
        db.session().commit()
    head = sign_in(app.test_client(), "head")
    # A member of neurology too: the neurology head may give them neurology duty...
    shift = _form_post(
        head,
        f"/specialties/{world.neuro}/shifts/new",
        {"senior_id": world.senior_b, "layer": "backup", "starts_at": "2026-03-12T08:30", "ends_at": "2026-03-12T09:30"},
    )
    assert shift.status_code == 302
    # ...but not change what cardiology relies on: their numbers, active flag, leave.
    assert head.get(f"/seniors/{world.senior_b}/edit").status_code == 403
    assert head.get(f"/seniors/{world.senior_b}/leave/new").status_code == 403
    assert sign_in(app.test_client(), "admin").get(f"/seniors/{world.senior_b}/edit").status_code == 200
    assert head.get(f"/seniors/{world.senior_a2}/edit").status_code == 200  # their own, only theirs


def _api(app, world, departments) -> dict[str, str]:
    from api.tokens import create_token
    from core.actor import SYSTEM
    from rota.models import Department
    from tests.conftest import FIXED_NOW

    with app.app_context():
        session = db.session()
        _token, secret = create_token(
            session, SYSTEM, "planning", [session.get(Department, d) for d in departments], read_only=False, at=FIXED_NOW
        )
        session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_a_department_token_cannot_take_over_another_departments_senior(app, world):
    """The audit's API chain: POST /api/shifts then POST /api/leave for a cardiologist with a neurology token."""
    from rota.models import DutyOverride, DutySlot, Leave, Rotation, SwapRequest

    client, neurology = app.test_client(), _api(app, world, [world.dept_a])
    before = [_count(app, m) for m in (DutySlot, DutyOverride, Leave, Rotation, SwapRequest)]
    interval = {"starts_at": "2026-03-12T08:30:00+01:00", "ends_at": "2026-03-12T09:30:00+01:00"}
    attempts = [
        ("/api/shifts", {"specialty": "neurology", "senior_id": world.senior_b, "layer": "backup", **interval}, "senior_id"),
        ("/api/leave", {"senior_id": world.senior_b, **interval}, "senior_id"),
        (
            "/api/overrides",
            {"specialty": "neurology", "replaced_senior_id": world.senior_a, "replacing_senior_id": world.senior_b, **interval},
            "replacing_senior_id",
        ),
        (
            "/api/rotations",
            {
                "specialty": "neurology",
                "name": "Nuit",
                "layer": "backup",
                "weekdays": "1",
                "start": "18:30",
                "end": "08:30",
                "members": [world.senior_b],
                "anchor": "2026-03-09",
                "valid_from": "2026-03-09T00:00:00+01:00",
            },
            "members",
        ),
        (
            "/api/swaps",
            {"specialty": "neurology", "requester_id": world.senior_a, "counterpart_id": world.senior_b, **interval},
            "counterpart_id",
        ),
    ]
    for path, payload, field in attempts:
        response = client.post(path, json=payload, headers=neurology)
        assert response.status_code == 403, (path, response.get_json())
        assert response.get_json()["errors"][0]["field"] == field, path
    assert [_count(app, m) for m in (DutySlot, DutyOverride, Leave, Rotation, SwapRequest)] == before
    # The same token may still do all this with its own seniors.
    own = client.post(
        "/api/shifts", json={"specialty": "neurology", "senior_id": world.senior_a2, "layer": "backup", **interval}, headers=neurology
    )
    assert own.status_code == 201
    assert client.post("/api/leave", json={"senior_id": world.senior_a2, **interval}, headers=neurology).status_code == 201
    # The cardiology token may put its own cardiologist on leave.
    assert (
        client.post("/api/leave", json={"senior_id": world.senior_b, **interval}, headers=_api(app, world, [world.dept_b])).status_code
        == 201
    )
