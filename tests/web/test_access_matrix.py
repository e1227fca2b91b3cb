"""Every route of the web app, with every role, against the one access matrix (accounts/access.py).

For each route the expected answer is *computed from the matrix* — ``can(principal, action, target)`` with
the route's own declared action and target — never written by hand, and the response must agree:
403 when the matrix forbids, anything but 403 (and no server error) when it allows, the sign-in page for
anonymous visitors. A route that declares neither an action nor ``@public`` fails the test.
Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools

from flask import Flask

from accounts.access import MATRIX, Principal, Role, Target, can
from accounts.models import User
from accounts.scope import principal_of
from core import db
from tests.web.conftest import World, csrf_token, sign_in

ROLES = ["anonymous", "admin", "head", "manager", "senior"]
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
        token = session.get(User, world.users["senior"]).ical_token
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
