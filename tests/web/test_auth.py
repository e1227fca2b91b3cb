"""Signing in and out, throttling, cookies, CSRF, sessions that end with a new password, the CLI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts import operations
from accounts.models import Role, SignInThrottle, User
from audit.models import AuditEntry
from core import db
from core.actor import SYSTEM
from tests.web.conftest import EMAILS, PASSWORD, body, csrf_token, sign_in


def _attempt(client, email: str, password: str, environ: dict | None = None):
    token = csrf_token(client)
    return client.post("/sign-in", data={"csrf_token": token, "email": email, "password": password}, environ_base=environ or {})


def test_anonymous_visitors_are_sent_to_sign_in_and_come_back(app, world):
    client = app.test_client()
    response = client.get("/specialties/1/week?start=2026-03-09")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")
    token = csrf_token(client)
    back = client.post(response.headers["Location"], data={"csrf_token": token, "email": EMAILS["manager"], "password": PASSWORD})
    assert back.status_code == 302 and back.headers["Location"] == "/specialties/1/week?start=2026-03-09"


def test_sign_in_refuses_to_redirect_off_site(app, world):
    client = app.test_client()
    token = csrf_token(client)
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(f"/sign-in?next={evil}", data={"csrf_token": token, "email": EMAILS["admin"], "password": PASSWORD})
        assert response.headers["Location"] == "/board", evil
        client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
        token = csrf_token(client)


def test_wrong_password_and_unknown_account_look_the_same(app, world):
    client = app.test_client()
    wrong = _attempt(client, EMAILS["admin"], "not the right password")
    unknown = _attempt(client, "nobody@hopital.fr", "not the right password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in body(wrong)
    assert "Adresse e-mail ou mot de passe incorrect." in body(unknown)


def test_sign_out_forgets_the_session(app, world):
    client = sign_in(app.test_client(), "head")
    assert client.get("/board").status_code == 200
    response = client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302
    assert client.get("/board").status_code == 302


def test_session_cookie_is_httponly_lax_and_secure_over_https(app, world):
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/sign-in", data={"csrf_token": token, "email": EMAILS["admin"], "password": PASSWORD})
    cookie = next(value for name, value in response.headers.items() if name == "Set-Cookie" and value.startswith("recours_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" in cookie  # the test settings' PUBLIC_BASE_URL is https


def test_cookie_is_not_secure_when_the_public_url_is_plain_http(make_app):
    app = make_app(PUBLIC_BASE_URL="http://127.0.0.1:5000")
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_a_form_without_its_csrf_token_is_refused(app, world):
    client = sign_in(app.test_client(), "head")
    response = client.post(
        f"/specialties/{world.neuro}/shifts/new",
        data={
            "senior_id": world.senior_a,
            "layer": "primary",
            "starts_at": "2026-03-12T08:30",
            "ends_at": "2026-03-12T18:30",
            "fingerprint": "new",
        },
    )
    assert response.status_code == 400
    assert "jeton de sécurité" in body(response)
    forged = client.post(
        f"/specialties/{world.neuro}/shifts/new",
        data={
            "csrf_token": "forged",
            "senior_id": world.senior_a,
            "layer": "primary",
            "starts_at": "2026-03-12T08:30",
            "ends_at": "2026-03-12T18:30",
            "fingerprint": "new",
        },
    )
    assert forged.status_code == 400
    sign_in_without_token = app.test_client().post("/sign-in", data={"email": EMAILS["admin"], "password": PASSWORD})
    assert sign_in_without_token.status_code == 400


def test_twilio_webhooks_are_not_subject_to_csrf(app, world):
    """They are authenticated by Twilio's signature instead: an unsigned POST is 403, not a CSRF 400."""
    assert app.test_client().post("/twilio/voice", data={"CallSid": "CA1"}).status_code == 403


def test_failed_sign_ins_lock_the_account_for_a_growing_time(make_app, world, frozen_clock):
    app = make_app(SIGN_IN_FREE_FAILURES="3", SIGN_IN_LOCK_SECONDS="60", SIGN_IN_MAX_LOCK_SECONDS="300")
    client = app.test_client()
    for _ in range(2):
        assert _attempt(client, EMAILS["head"], "wrong password!!").status_code == 401
    third = _attempt(client, EMAILS["head"], "wrong password!!")
    assert third.status_code == 429 and "Réessayez dans 1 min" in body(third)
    # Locked: even the right password is refused, without being checked.
    assert _attempt(client, EMAILS["head"], PASSWORD).status_code == 429
    frozen_clock[0] += timedelta(seconds=61)
    fourth = _attempt(client, EMAILS["head"], "wrong password!!")
    assert fourth.status_code == 429 and "Réessayez dans 2 min" in body(fourth)  # doubled
    frozen_clock[0] += timedelta(seconds=121)
    assert _attempt(client, EMAILS["head"], PASSWORD).status_code == 302
    with app.app_context():
        assert db.session().scalars(select(SignInThrottle).where(SignInThrottle.scope == "account")).all() == []  # cleared by success


def test_failed_sign_ins_from_one_address_lock_that_address(make_app, world, frozen_clock):
    app = make_app(SIGN_IN_IP_FREE_FAILURES="4", SIGN_IN_FREE_FAILURES="100")
    client = app.test_client()
    attacker = {"REMOTE_ADDR": "10.9.9.9"}
    for index in range(3):
        assert _attempt(client, f"guess{index}@hopital.fr", "wrong password!!", attacker).status_code == 401
    assert _attempt(client, "guess9@hopital.fr", "wrong password!!", attacker).status_code == 429
    assert _attempt(client, EMAILS["admin"], PASSWORD, attacker).status_code == 429
    # Another address is not affected.
    assert _attempt(app.test_client(), EMAILS["admin"], PASSWORD, {"REMOTE_ADDR": "10.1.1.1"}).status_code == 302


def test_behind_a_proxy_the_forwarded_address_is_throttled(make_app, world):
    app = make_app(SIGN_IN_IP_FREE_FAILURES="2", SIGN_IN_FREE_FAILURES="100", TRUSTED_PROXY_COUNT="1")
    client = app.test_client()
    through_proxy = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    _attempt(client, "a@hopital.fr", "wrong password!!", through_proxy)
    assert _attempt(client, "b@hopital.fr", "wrong password!!", through_proxy).status_code == 429
    other_client = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.8"}
    assert _attempt(app.test_client(), EMAILS["admin"], PASSWORD, other_client).status_code == 302


def test_a_new_password_signs_out_other_browsers(app, world):
    laptop = sign_in(app.test_client(), "manager")
    phone = sign_in(app.test_client(), "manager")
    new = "another long password for me"
    response = laptop.post("/account", data={"csrf_token": csrf_token(laptop, "/account"), "current": PASSWORD, "new": new, "confirm": new})
    assert response.status_code == 302
    assert laptop.get("/board").status_code == 200  # the browser that changed it stays signed in
    assert phone.get("/board").status_code == 302
    with app.app_context():
        assert db.session().scalars(select(AuditEntry).where(AuditEntry.action == "user.password")).first() is not None


def test_password_change_errors_are_next_to_their_field(app, world):
    client = sign_in(app.test_client(), "manager")
    page = body(
        client.post("/account", data={"csrf_token": csrf_token(client, "/account"), "current": "wrong", "new": "short", "confirm": "other"})
    )
    assert 'id="new-error"' in page and 'aria-invalid="true"' in page
    assert 'id="confirm-error"' in page and "Les deux mots de passe diffèrent." in page


def test_a_deactivated_account_cannot_sign_in_and_is_signed_out(app, world):
    client = sign_in(app.test_client(), "senior")
    with app.app_context():
        session = db.session()
        user = session.get(User, world.users["senior"])
        operations.update_user(
            session,
            SYSTEM,
            user.id,
            email=user.email,
            full_name=user.full_name,
            role=user.role,
            senior_id=user.senior_id,
            language="fr",
            active=False,
        )
        session.commit()
    assert client.get("/me").status_code == 302
    assert _attempt(app.test_client(), EMAILS["senior"], PASSWORD).status_code == 401


def test_language_switch_to_english(app, world):
    client = sign_in(app.test_client(), "head")
    assert "Qui est de garde maintenant" in body(client.get("/board"))
    client.post("/language", data={"csrf_token": csrf_token(client, "/board"), "language": "en", "next": "/board"})
    assert "Who is on duty now" in body(client.get("/board"))
    with app.app_context():
        assert db.session().get(User, world.users["head"]).language == "en"  # remembered on the account


def test_cli_creates_the_first_administrator_from_stdin(runner, app):
    result = runner.invoke(
        args=["users", "create", "it@hopital.fr", "--name", "Service informatique", "--role", "admin", "--password-stdin"],
        input="a strong first password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session().scalars(select(User).where(User.email == "it@hopital.fr")).one()
        assert user.role is Role.ADMIN and user.password_hash.startswith("$argon2id$")


def test_cli_prompts_twice_and_refuses_weak_passwords(runner, app):
    result = runner.invoke(args=["users", "create", "it@hopital.fr", "--name", "IT", "--role", "admin"], input="short\nshort\n")
    assert result.exit_code != 0 and "at least 12 characters" in result.output
    mismatch = runner.invoke(
        args=["users", "create", "it@hopital.fr", "--name", "IT", "--role", "admin"],
        input="a strong first password\nanother one entirely\n",
    )
    assert mismatch.exit_code != 0
    ok = runner.invoke(
        args=["users", "create", "it@hopital.fr", "--name", "IT", "--role", "admin"],
        input="a strong first password\na strong first password\n",
    )
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(
        args=["users", "create", "IT@hopital.fr", "--name", "IT", "--role", "admin"],
        input="a strong first password\na strong first password\n",
    )
    assert again.exit_code != 0 and "already uses" in again.output


@pytest.mark.parametrize("email", ["not-an-email", "a@b", ""])
def test_cli_refuses_malformed_addresses(runner, email):
    result = runner.invoke(args=["users", "create", email, "--name", "X", "--password-stdin"], input="a strong first password\n")
    assert result.exit_code != 0


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"SIGN_IN_LOCK_SECONDS": "600", "SIGN_IN_MAX_LOCK_SECONDS": "60"}, "SIGN_IN_MAX_LOCK_SECONDS"),
        ({"SESSION_HOURS": "0"}, "SESSION_HOURS"),
        ({"SESSION_HOURS": "24", "SESSION_MAX_HOURS": "12"}, "SESSION_MAX_HOURS"),
        ({"SIGN_IN_FREE_FAILURES": "many"}, "SIGN_IN_FREE_FAILURES"),
        ({"DEFAULT_LANGUAGE": "de"}, "DEFAULT_LANGUAGE"),
        ({"TRUSTED_PROXY_COUNT": "9"}, "TRUSTED_PROXY_COUNT"),
        ({"SOFTPHONE_ENABLED": "maybe"}, "SOFTPHONE_ENABLED"),
    ],
)
def test_web_settings_are_checked_at_start(tmp_path, override, named):
    from core.config import ConfigError, load_settings

    good = {
        "RECOURS_ENV": "development",
        "PUBLIC_BASE_URL": "https://recours.example.org",
        "HOTLINE_NUMBER": "01 99 00 00 00",
        "FALLBACK_NUMBER": "01 99 00 00 99",
    }
    assert load_settings(good, tmp_path).web.sign_in_free_failures == 5
    with pytest.raises(ConfigError, match=named):
        load_settings({**good, **override}, tmp_path)


def test_the_softphone_can_be_turned_off(make_app, world):
    app = make_app(SOFTPHONE_ENABLED="false")
    assert sign_in(app.test_client(), "admin").get("/softphone").status_code == 404
