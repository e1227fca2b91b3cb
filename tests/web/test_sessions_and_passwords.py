"""Issue 10, findings 3-5 and 8: sessions that end server-side, one SECRET_KEY for every worker, strong
passwords, the demo administrator's first sign-in, audit of sign-ins and credentials."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts import operations
from accounts.models import User, WebSession
from audit.models import AuditEntry
from core import db
from core.actor import SYSTEM
from tests.web.conftest import EMAILS, PASSWORD, body, csrf_token, sign_in

COOKIE = "recours_session"


def _copy_cookie(source, target) -> None:
    target.set_cookie(COOKIE, source.get_cookie(COOKIE).value)


def test_a_copied_cookie_replayed_after_sign_out_is_refused(app, world):
    browser = sign_in(app.test_client(), "senior")
    thief = app.test_client()
    _copy_cookie(browser, thief)
    assert thief.get("/me").status_code == 200  # the copy works while the sign-in lasts
    token = csrf_token(thief, "/me/phones")
    browser.post("/sign-out", data={"csrf_token": csrf_token(browser, "/account")})
    # Signed out server-side: the copy reads nothing and changes nothing.
    assert thief.get("/me").status_code == 302 and "/sign-in" in thief.get("/me").headers["Location"]
    changed = thief.post("/me/phones", data={"csrf_token": token, "phones": "+33199000666", "fingerprint": "x"})
    assert changed.status_code in (302, 400) and "/me" not in changed.headers.get("Location", "/sign-in")
    with app.app_context():
        session = db.session()
        assert session.scalars(select(WebSession).where(WebSession.user_id == world.users["senior"])).all() == []
        phones = [p.e164 for p in session.get(User, world.users["senior"]).senior.phones]
        assert "+33199000666" not in phones


def test_activity_never_extends_a_session_past_its_absolute_end(make_app, world, frozen_clock):
    app = make_app(SESSION_HOURS="2", SESSION_MAX_HOURS="4")
    browser = sign_in(app.test_client(), "head")
    for _ in range(4):  # a page every 50 minutes: never idle for 2 hours, 3 h 20 in all
        frozen_clock[0] += timedelta(minutes=50)
        assert browser.get("/board").status_code == 200
    frozen_clock[0] += timedelta(minutes=61)  # 4 h 21 after signing in, 61 min after the last page
    assert browser.get("/board").status_code == 302


def test_an_idle_session_ends(make_app, world, frozen_clock):
    app = make_app(SESSION_HOURS="2", SESSION_MAX_HOURS="4")
    browser = sign_in(app.test_client(), "head")
    frozen_clock[0] += timedelta(hours=2, minutes=1)
    assert browser.get("/board").status_code == 302


def test_a_new_password_ends_every_other_session(app, world):
    here, elsewhere = sign_in(app.test_client(), "head"), sign_in(app.test_client(), "head")
    new = "une phrase bien plus longue 42"
    changed = here.post("/account", data={"csrf_token": csrf_token(here, "/account"), "current": PASSWORD, "new": new, "confirm": new})
    assert changed.status_code == 302
    assert here.get("/board").status_code == 200  # this browser got a new session
    assert elsewhere.get("/board").status_code == 302


def test_deactivation_ends_the_sessions(app, world):
    browser = sign_in(app.test_client(), "senior")
    with app.app_context():
        session = db.session()
        user = session.get(User, world.users["senior"])
        operations.update_user(
            session,
            SYSTEM,
            user.id,
            full_name=user.full_name,
            role=user.role,
            senior_id=user.senior_id,
            language="fr",
            active=False,
            email=user.email,
        )
        session.commit()
    assert browser.get("/me").status_code == 302


def test_two_workers_with_the_same_secret_key_share_sessions_and_forms(make_app, world):
    worker_1, worker_2 = make_app(SECRET_KEY="k" * 40), make_app(SECRET_KEY="k" * 40)
    on_1 = sign_in(worker_1.test_client(), "head")
    token = csrf_token(on_1, "/account")  # a form served by worker 1 (its secret is in the cookie)...
    on_2 = worker_2.test_client()
    _copy_cookie(on_1, on_2)  # ...and the load balancer sends the next requests to worker 2
    assert on_2.get("/board").status_code == 200
    assert on_2.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert on_1.get("/board").status_code == 302  # and a sign-out on one is a sign-out on both


@pytest.mark.parametrize("weak", ["123456789012", "password1234", "azertyuiop12", "motdepasse12", "hopital2026!"])
def test_the_weak_passwords_of_the_audit_are_refused_in_french(app, world, weak):
    browser = sign_in(app.test_client(), "head")
    response = browser.post(
        "/account", data={"csrf_token": csrf_token(browser, "/account"), "current": PASSWORD, "new": weak, "confirm": weak}
    )
    assert response.status_code == 200
    page = body(response)  # "hopital" is also in the address head.a@hopital.fr: refused as personal
    assert "trop facile à deviner" in page or "ni votre nom ni votre adresse e-mail" in page
    with app.app_context():
        assert operations.passwords.verify(db.session().get(User, world.users["head"]).password_hash, PASSWORD)[0]


def test_a_password_built_from_ones_name_or_address_is_refused(app, world):
    browser = sign_in(app.test_client(), "head")  # Pr Anne Chef, head.a@hopital.fr
    for built in ("Rousseau-Anne-Chef-2026", "head.a@hopital.fr!!"):
        response = browser.post(
            "/account", data={"csrf_token": csrf_token(browser, "/account"), "current": PASSWORD, "new": built, "confirm": built}
        )
        assert "ni votre nom ni votre adresse e-mail" in body(response), built


def test_the_cli_refuses_a_weak_password_in_plain_words(runner, app):
    result = runner.invoke(
        args=["users", "create", "it@hopital.fr", "--name", "IT", "--role", "admin", "--password-stdin"], input="motdepasse12\n"
    )
    assert result.exit_code != 0 and "too easy to guess" in result.output


def test_the_demo_administrator_must_choose_a_password_at_first_sign_in(app, runner):
    import re

    seeded = runner.invoke(args=["demo", "seed"])
    assert seeded.exit_code == 0, seeded.output
    email, password = re.search(r"demo administrator: (\S+) / (\S+)", seeded.output).groups()
    browser = app.test_client()
    signed = browser.post("/sign-in", data={"csrf_token": csrf_token(browser), "email": email, "password": password})
    assert signed.headers["Location"] == "/account"
    assert browser.get("/board").headers["Location"] == "/account"  # every page leads to the form
    new = "ma propre phrase de passe 2026"
    browser.post("/account", data={"csrf_token": csrf_token(browser, "/account"), "current": password, "new": new, "confirm": new})
    assert browser.get("/board").status_code == 200


def test_sign_in_failed_sign_in_sign_out_and_password_change_are_audited(make_app, world):
    app = make_app(TRUSTED_PROXY_COUNT="1")
    browser = app.test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    token = csrf_token(browser)
    forwarded = {"X-Forwarded-For": "192.0.2.7"}
    browser.post(
        "/sign-in", data={"csrf_token": token, "email": EMAILS["head"], "password": "wrong password"}, environ_base=proxy, headers=forwarded
    )
    browser.post(
        "/sign-in", data={"csrf_token": token, "email": EMAILS["head"], "password": PASSWORD}, environ_base=proxy, headers=forwarded
    )
    new = "une phrase bien plus longue 42"
    browser.post("/account", data={"csrf_token": csrf_token(browser, "/account"), "current": PASSWORD, "new": new, "confirm": new})
    browser.post("/sign-out", data={"csrf_token": csrf_token(browser, "/account")}, environ_base=proxy, headers=forwarded)
    with app.app_context():
        # The world's accounts were made by the system (the test's set-up): what the browser did follows.
        entries = db.session().scalars(select(AuditEntry).where(AuditEntry.actor != "system").order_by(AuditEntry.id)).all()
        actions = [e.action for e in entries if e.action.startswith("user.")]
        assert actions == ["user.sign_in_failed", "user.sign_in", "user.password", "user.sign_out"]
        failed = next(e for e in entries if e.action == "user.sign_in_failed")
        assert failed.summary == EMAILS["head"] and "wrong" not in str(failed.before) + str(failed.after)
        # Behind one trusted proxy, ProxyFix puts the browser's address in remote_addr.
        assert {e.remote_addr for e in entries if e.action in ("user.sign_in_failed", "user.sign_in", "user.sign_out")} == {"192.0.2.7"}


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(app, world):
    browser = app.test_client()
    browser.post(
        "/sign-in",
        data={"csrf_token": csrf_token(browser), "email": EMAILS["head"], "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.4"},
        headers={"X-Forwarded-For": "192.0.2.7"},
    )
    with app.app_context():
        entry = db.session().scalars(select(AuditEntry).where(AuditEntry.action == "user.sign_in")).one()
        assert entry.remote_addr == "198.51.100.4"


def test_api_tokens_and_feed_links_are_audited(app, runner, world):
    created = runner.invoke(args=["tokens", "create", "--name", "planning", "--read-only"])
    assert created.exit_code == 0, created.output
    with app.app_context():
        token_id = db.session().scalars(select(AuditEntry.target_id).where(AuditEntry.action == "token.create")).one()
    assert runner.invoke(args=["tokens", "revoke", str(token_id)]).exit_code == 0
    assert runner.invoke(args=["ical", "link", "senior", str(world.senior_a)]).exit_code == 0
    with app.app_context():
        actions = set(db.session().scalars(select(AuditEntry.action)))
    assert {"token.create", "token.revoke", "feed.create"} <= actions


def test_hsts_on_https_only(make_app):
    assert make_app().test_client().get("/sign-in").headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in make_app(PUBLIC_BASE_URL="http://127.0.0.1:5000").test_client().get("/sign-in").headers
