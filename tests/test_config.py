"""Start-up configuration: a missing or malformed value stops the app with a message naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from core.config import ConfigError, load_settings

GOOD = {
    "RECOURS_ENV": "development",
    "PUBLIC_BASE_URL": "https://recours.example.org/",
    "HOTLINE_NUMBER": "01 99 00 00 00",
    "FALLBACK_NUMBER": "+33 1 99 00 00 99",
    "TWILIO_AUTH_TOKEN": "t",
}


def test_good_settings_are_normalised(tmp_path):
    settings = load_settings(GOOD, tmp_path)
    assert settings.hotline_number == "+33199000000"  # French national format accepted, stored E.164
    assert settings.fallback_number == "+33199000099"
    assert settings.public_base_url == "https://recours.example.org"
    assert settings.database_url.startswith("sqlite:///") and str(tmp_path) in settings.database_url
    assert settings.ring_timeout == 20 and settings.twilio_auth_tokens == ("t",)


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"HOTLINE_NUMBER": ""}, "HOTLINE_NUMBER is not set"),
        ({"HOTLINE_NUMBER": "12"}, "HOTLINE_NUMBER is not a valid phone number"),
        ({"FALLBACK_NUMBER": "standard"}, "FALLBACK_NUMBER is not a valid phone number"),
        ({"PUBLIC_BASE_URL": ""}, "PUBLIC_BASE_URL is not set"),
        ({"PUBLIC_BASE_URL": "recours.example.org"}, "PUBLIC_BASE_URL must be an http(s) URL"),
        ({"RING_TIMEOUT": "vingt"}, "RING_TIMEOUT must be a whole number"),
        ({"RING_TIMEOUT": "2"}, "RING_TIMEOUT must be between 5 and 120 seconds"),
        # A count is not a duration: the message says what the number counts.
        ({"MENU_MAX_FAILURES": "trois"}, "MENU_MAX_FAILURES must be a whole number of failures, got 'trois'"),
        ({"MENU_MAX_FAILURES": "0"}, "MENU_MAX_FAILURES must be between 1 and 10 failures"),
        ({"TWILIO_ACCOUNT_SID": "123"}, "TWILIO_ACCOUNT_SID must look like AC"),
        ({"SHOW_GP_NUMBER_TO_SENIOR": "peut-être"}, "SHOW_GP_NUMBER_TO_SENIOR must be true or false"),
        ({"DATABASE_URL": "recours.db"}, "DATABASE_URL must be a SQLAlchemy URL"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, override, named):
    with pytest.raises(ConfigError, match=named.replace("(", r"\(").replace(")", r"\)")):
        load_settings({**GOOD, **override}, tmp_path)


def test_create_app_refuses_to_start_without_a_hotline_number(monkeypatch):
    monkeypatch.delenv("HOTLINE_NUMBER", raising=False)
    with pytest.raises(ConfigError, match="HOTLINE_NUMBER"):
        create_app({**GOOD, "HOTLINE_NUMBER": ""})


PRODUCTION = {key: value for key, value in GOOD.items() if key != "RECOURS_ENV"}
LIVE = {"NOTIFY_BACKEND": "live", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "SECRET_KEY": "s" * 40}


def test_outside_development_a_missing_secret_key_stops_the_start_saying_what_to_set(tmp_path):
    with pytest.raises(ConfigError, match=r"SECRET_KEY is not set.*secrets\.token_hex"):
        load_settings({**PRODUCTION, **LIVE, "SECRET_KEY": ""}, tmp_path)
    with pytest.raises(ConfigError, match="SECRET_KEY is too short"):
        load_settings({**PRODUCTION, **LIVE, "SECRET_KEY": "changeme"}, tmp_path)
    settings = load_settings({**PRODUCTION, **LIVE}, tmp_path)
    assert settings.secret_key == "s" * 40 and settings.environment == "production" and not settings.development


def test_outside_development_the_log_notification_backend_is_refused(tmp_path):
    for backend in ({}, {"NOTIFY_BACKEND": "log"}):  # the default is "log" too
        with pytest.raises(ConfigError, match=r"NOTIFY_BACKEND is 'log'.*set NOTIFY_BACKEND=live"):
            load_settings({**PRODUCTION, **LIVE, **{"NOTIFY_BACKEND": ""}, **backend}, tmp_path)


def test_development_is_only_what_recours_env_says(tmp_path):
    development = load_settings(GOOD, tmp_path)
    assert development.development and development.notify.backend == "log" and len(development.secret_key) == 64
    with pytest.raises(ConfigError, match="RECOURS_ENV must be one of production, development"):
        load_settings({**GOOD, "RECOURS_ENV": "dev"}, tmp_path)


def test_the_development_env_file_is_private_and_says_development(tmp_path):
    import stat

    from core import devenv

    path = tmp_path / ".env"
    devenv.write(str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    values = dict(line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))
    assert values["RECOURS_ENV"] == "development" and len(values["SECRET_KEY"]) == 64
    settings = load_settings(values, tmp_path)
    assert settings.development and settings.secret_key == values["SECRET_KEY"]
    with pytest.raises(FileExistsError):  # never overwrites someone's settings
        devenv.write(str(path))


def test_make_run_port_moves_the_local_public_url_and_only_it(tmp_path):
    import subprocess
    import sys

    path = tmp_path / ".env"
    run = [sys.executable, "-m", "core.devenv", str(path)]
    subprocess.run([*run, "8123"], check=True, cwd=Path(__file__).resolve().parents[1])
    assert "PUBLIC_BASE_URL=http://127.0.0.1:8123\n" in path.read_text()
    secret = [line for line in path.read_text().splitlines() if line.startswith("SECRET_KEY=")]
    moved = subprocess.run([*run, "8200"], check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    assert "PUBLIC_BASE_URL now http://127.0.0.1:8200" in moved.stdout
    text = path.read_text()
    assert "PUBLIC_BASE_URL=http://127.0.0.1:8200\n" in text and "8123" not in text
    assert [line for line in text.splitlines() if line.startswith("SECRET_KEY=")] == secret  # the rest is kept
    # A URL set by hand (a tunnel's) is left alone.
    path.write_text(text.replace("http://127.0.0.1:8200", "https://tunnel.example.org"))
    subprocess.run([*run, "9000"], check=True, cwd=Path(__file__).resolve().parents[1])
    assert "PUBLIC_BASE_URL=https://tunnel.example.org\n" in path.read_text()
    bad = subprocess.run([*run, "99999"], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    assert bad.returncode != 0 and "PORT must be a number from 1 to 65535" in bad.stderr
