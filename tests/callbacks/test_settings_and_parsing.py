"""New settings (each bad value named), SMS replies as seniors type them, and the migration matching
the models."""

from __future__ import annotations

from datetime import time

import pytest

from callbacks.sms_commands import SmsCommand, parse
from core.config import ConfigError, load_settings

GOOD = {
    "RECOURS_ENV": "development",
    "PUBLIC_BASE_URL": "https://recours.example.org",
    "HOTLINE_NUMBER": "01 99 00 00 00",
    "FALLBACK_NUMBER": "01 99 00 00 99",
    "TWILIO_AUTH_TOKEN": "t",
}


def test_defaults(tmp_path):
    settings = load_settings(GOOD, tmp_path)
    assert settings.notify.backend == "log" and settings.notify.max_attempts == 5 and settings.notify.sms_from is None
    assert settings.callbacks.deadline_minutes == 60 and settings.callbacks.escalation_lead_minutes == 15
    assert settings.callbacks.notify_missed_calls is False and settings.callbacks.shift_reminder_minutes == 60
    assert settings.scheduler.timezone == "Europe/Paris" and settings.scheduler.gap_alert_time == time(7, 0)
    assert (settings.scheduler.retention_call_log_months, settings.scheduler.retention_recording_months) == (12, 6)
    assert settings.scheduler.retention_mode == "anonymise"


def test_values_are_normalised(tmp_path):
    settings = load_settings(
        {**GOOD, "CALLBACK_UNROUTED_NUMBERS": "01 99 00 00 11, +33199000012", "DIGEST_RECIPIENTS": "a@h.fr, b@h.fr", "DIGEST_TIME": "7:45"},
        tmp_path,
    )
    assert settings.callbacks.unrouted_numbers == ("+33199000011", "+33199000012")
    assert settings.scheduler.digest_recipients == ("a@h.fr", "b@h.fr") and settings.scheduler.digest_time == time(7, 45)


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"NOTIFY_BACKEND": "twilio"}, "NOTIFY_BACKEND must be one of log, live"),
        ({"NOTIFY_BACKEND": "live"}, "NOTIFY_BACKEND=live sends through Twilio: set TWILIO_ACCOUNT_SID"),
        ({"CALLBACK_DEADLINE_MINUTES": "une heure"}, "CALLBACK_DEADLINE_MINUTES must be a whole number of minutes"),
        ({"CALLBACK_DEADLINE_MINUTES": "2"}, "CALLBACK_DEADLINE_MINUTES must be between 5 and 1440 minutes"),
        ({"CALLBACK_UNROUTED_NUMBERS": "+33199000011, standard"}, "CALLBACK_UNROUTED_NUMBERS holds an invalid phone number"),
        ({"NOTIFY_MISSED_CALLS": "parfois"}, "NOTIFY_MISSED_CALLS must be true or false"),
        ({"SCHEDULER_TIMEZONE": "Paris"}, "SCHEDULER_TIMEZONE must be an IANA zone"),
        ({"GAP_ALERT_TIME": "7h"}, "GAP_ALERT_TIME must be a local time HH:MM"),
        ({"DIGEST_TIME": "25:00"}, "DIGEST_TIME must be a local time HH:MM"),
        ({"DIGEST_WEEKDAY": "lundi"}, "DIGEST_WEEKDAY must be one of mon"),
        ({"DIGEST_RECIPIENTS": "direction"}, "DIGEST_RECIPIENTS holds 'direction', which is not an e-mail address"),
        ({"RETENTION_RECORDING_MONTHS": "13"}, "RETENTION_RECORDING_MONTHS must be between 1 and 12 months"),
        ({"RETENTION_MODE": "archive"}, "RETENTION_MODE must be one of anonymise, delete"),
        ({"MAIL_FROM": "recours"}, "MAIL_FROM holds 'recours', which is not an e-mail address"),
        ({"SMTP_PORT": "0"}, "SMTP_PORT must be between 1 and 65535"),
        ({"SMS_FROM": "RECOURS"}, "SMS_FROM is not a valid phone number"),
        (
            {"NOTIFY_BACKEND": "live", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "DIGEST_RECIPIENTS": "a@h.fr"},
            "DIGEST_RECIPIENTS is set: SMTP_HOST and MAIL_FROM are needed",
        ),
    ],
)
def test_bad_values_name_the_variable(tmp_path, override, named):
    with pytest.raises(ConfigError, match=named.replace("(", r"\(").replace(")", r"\)")):
        load_settings({**GOOD, **override}, tmp_path)


@pytest.mark.parametrize(
    ("body", "command"),
    [
        ("OK 4821", SmsCommand("acknowledge", "4821")),
        ("ok4821", SmsCommand("acknowledge", "4821")),
        ("4821", SmsCommand("acknowledge", "4821")),
        ("Oui", SmsCommand("acknowledge", None)),
        ("  Vu, je m'en occupe 4821", SmsCommand("acknowledge", "4821")),
        ("R 4821", SmsCommand("call", "4821")),
        ("r4821", SmsCommand("call", "4821")),
        ("Rappel 4821", SmsCommand("call", "4821")),
        ("appeler", SmsCommand("call", None)),
        ("LISTE", SmsCommand("list")),
        ("", SmsCommand("help")),
        ("Bonjour, qui est-ce ?", SmsCommand("help")),
    ],
)
def test_sms_replies_as_seniors_type_them(body, command):
    assert parse(body) == command


def test_the_migration_creates_exactly_the_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import callbacks.models  # noqa: F401 - the tables of this feature
    import notify.models  # noqa: F401
    import scheduler.models  # noqa: F401
    from core.db import Base

    mine = {"callback_request", "callback_policy", "callback_call", "outbound_message", "scheduler_lock", "scheduler_run", "scheduler_job"}
    engine = app.extensions["recours.db"].engine
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    ours = [d for d in differences if any(table in repr(d) for table in mine)]
    assert ours == []
