"""Settings, read once from environment variables (or a mapping given to ``create_app``).

Every value is checked at start-up: a missing or malformed one stops the application with a message that
names the variable, rather than failing on the first call a GP makes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.phones import InvalidPhoneNumber, to_e164


class ConfigError(RuntimeError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class NotifySettings:
    """Outbound SMS, calls and e-mail (:mod:`notify`)."""

    # "log": everything outbound is only written to the log (development); "live": Twilio REST and SMTP.
    backend: str = "log"
    # The number SMS are sent from and replied to; None: the hotline number. French geographic numbers
    # (01-05, 09) cannot send SMS: give a Twilio mobile number here.
    sms_from: str | None = None
    # Tries per message before it is shown as failed (`flask notifications failed`).
    max_attempts: int = 5
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    mail_from: str | None = None


@dataclass(frozen=True)
class CallbackSettings:
    """Callback requests and the messages around them (:mod:`callbacks`)."""

    # Minutes a specialty has to call a GP back, unless `flask callbacks deadline` set its own.
    deadline_minutes: int = 60
    # The department head is alerted this long before an unacknowledged request's deadline.
    escalation_lead_minutes: int = 15
    # Who hears of requests with no specialty (the IVR fallback path): E.164 numbers; none → only listed.
    unrouted_numbers: tuple[str, ...] = ()
    # Tell a senior by SMS that they missed a screened call.
    notify_missed_calls: bool = False
    # Minutes before a duty starts that the senior gets a reminder; 0 turns reminders off.
    shift_reminder_minutes: int = 60
    # The N of the screening's "3: I will call back within N minutes", unless `flask callbacks defer` set a specialty's own.
    defer_minutes: int = 20


@dataclass(frozen=True)
class SchedulerSettings:
    """The periodic jobs run by ``flask scheduler run`` (:mod:`scheduler`)."""

    timezone: str = "Europe/Paris"  # the zone of the daily and weekly times below
    tick_seconds: int = 20  # how often callback requests and the outbox are looked at
    gap_alert_time: time = time(7, 0)
    gap_alert_days: int = 14
    digest_weekday: str = "mon"
    digest_time: time = time(8, 0)
    digest_recipients: tuple[str, ...] = ()
    retention_time: time = time(3, 30)
    retention_call_log_months: int = 12
    retention_recording_months: int = 6
    # "anonymise" keeps the statistics of old calls without any number or name; "delete" removes the rows.
    retention_mode: str = "anonymise"
    # A call still open this long after it started is looked up at Twilio and closed (reconcile-calls).
    reconcile_after_minutes: int = 60


@dataclass(frozen=True)
class WebSettings:
    """The web app for department heads (:mod:`web`, :mod:`accounts`)."""

    # Hours a sign-in lasts without activity: about one duty, then the browser asks again.
    session_hours: int = 12
    # Hours a sign-in lasts at most, however active: activity never extends a session past this.
    session_max_hours: int = 24
    # Failed sign-ins allowed for one account before it is locked, then for one client address.
    sign_in_free_failures: int = 5
    sign_in_ip_free_failures: int = 50
    # The first lock lasts this long and doubles with every further failure, up to the maximum.
    sign_in_lock_seconds: int = 30
    sign_in_max_lock_seconds: int = 900
    # Reverse proxies in front of the app that append to X-Forwarded-For and set X-Forwarded-Proto
    # (0: the socket's address is the client's). Werkzeug's ProxyFix trusts exactly this many hops.
    trusted_proxy_count: int = 0
    default_language: str = "fr"
    # The softphone places simulated calls through the real webhooks: they appear in the call log.
    softphone_enabled: bool = True
    # The live board (server-sent events): seconds between two reads of the database, and how long one
    # stream lasts before the browser opens the next (so an open board never holds a worker for good).
    board_poll_seconds: int = 3
    board_stream_seconds: int = 60


@dataclass(frozen=True)
class LocalStateSettings:
    """What each instance keeps on its own disk so that a call survives a database outage
    (:mod:`calllog.journal`, :mod:`routing.snapshot`), namespaced by the database."""

    # Append-only, fsync'd journal of call-log facts, drained into the database by the writer thread.
    journal_dir: str = "instance/journal"
    # The routing snapshot (menu and hunt lists ahead), written atomically after every build.
    snapshot_dir: str = "instance/routing"
    # Hours of hunt lists each snapshot holds, and how often it is rebuilt (also after a rota change).
    snapshot_hours: int = 36
    snapshot_refresh_seconds: int = 60
    # How often an instance asks the database whether the rota changed (one indexed row).
    rota_poll_seconds: int = 2
    # True: a webhook only journals its facts and the writer thread stores them (the fastest answer);
    # False: the webhook stores them itself, the journal takes what the database refuses.
    write_behind: bool = False


@dataclass(frozen=True)
class WebhookBudget:
    """How long a webhook may take, and every database wait derived from it (README, "Bad days").

    Twilio waits 15 s for an answer; a GP waits much less. Past the budget the webhook answers from
    degraded mode, so each wait below is a share of it: a request that meets several of them (a pool
    checkout, a connection, statements, a lock) is still cut at the budget itself by :mod:`core.deadline`.
    """

    seconds: float = 3.0
    breaker_override: float | None = None

    @property
    def database_seconds(self) -> float:
        # The database gets the budget less a tenth (at most 0.3 s), kept for answering from degraded
        # mode: the answer itself (TwiML, a journal line fsync'd) lands within the budget.
        return self.seconds - min(0.3, self.seconds / 10)

    @property
    def connect_timeout(self) -> int:
        # libpq's unit is whole seconds, 2 at least; core.pgdeadline cuts a connection at the budget anyway.
        return max(2, int(self.seconds))

    @property
    def statement_timeout_ms(self) -> int:
        # The server stops a statement the webhook has stopped waiting for, and releases its locks.
        return int(self.seconds * 1000)

    @property
    def lock_timeout_ms(self) -> int:
        # A call row locked by a stuck transaction of another webhook: give up at half the budget.
        return int(self.seconds * 500)

    @property
    def pool_timeout(self) -> float:
        # Waiting for a pooled connection means the database is already in trouble.
        return self.seconds / 4

    @property
    def sqlite_busy_timeout(self) -> float:
        # SQLite's write lock is held for milliseconds by a healthy writer.
        return self.seconds / 2

    @property
    def breaker_seconds(self) -> float:
        # After the database failed a webhook, the next ones do not wait for it for twice the budget
        # (core.breaker); then one of them tries again. WEBHOOK_BREAKER_SECONDS=0 turns this off.
        return self.seconds * 2 if self.breaker_override is None else self.breaker_override

    @property
    def readiness_timeout(self) -> float:
        # /readyz answers a load balancer's probe, itself on a timeout of a second or two.
        return min(1.0, self.seconds / 2)


ENVIRONMENTS = ("production", "development")
# Shorter than this, a SECRET_KEY can be guessed offline from one signed cookie.
MIN_SECRET_KEY_LENGTH = 32


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    twilio_account_sid: str | None
    # The first token signs and validates; the second is accepted during an Auth Token rotation.
    twilio_auth_tokens: tuple[str, ...]
    public_base_url: str
    hotline_number: str
    fallback_number: str
    ring_timeout: int
    menu_timeout: int
    screen_timeout: int
    menu_max_failures: int
    record_max_length: int
    show_gp_number_to_senior: bool
    tts_voice_fr: str
    tts_voice_en: str
    notify: NotifySettings = field(default_factory=NotifySettings)
    callbacks: CallbackSettings = field(default_factory=CallbackSettings)
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)
    web: WebSettings = field(default_factory=WebSettings)
    local: LocalStateSettings = field(default_factory=LocalStateSettings)
    budget: WebhookBudget = field(default_factory=WebhookBudget)
    # "development" only when RECOURS_ENV says so (the .env that `make run` writes): anything else is
    # a real installation, where nothing secret or outbound is left to a default.
    environment: str = "production"
    # The language of the ``flask`` commands' messages (core.cli): CLI_LANGUAGE, else DEFAULT_LANGUAGE.
    cli_language: str = "fr"

    @property
    def development(self) -> bool:
        return self.environment == "development"


def _phone(env: Mapping[str, str], name: str) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        raise ConfigError(f"{name} is not set: give the number in E.164 (+33...) or French national format")
    try:
        return to_e164(raw)
    except InvalidPhoneNumber as exc:
        raise ConfigError(f"{name} is not a valid phone number: {exc}") from None


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _base_url(env: Mapping[str, str]) -> str:
    raw = env.get("PUBLIC_BASE_URL", "").strip()
    if not raw:
        raise ConfigError("PUBLIC_BASE_URL is not set: give the URL Twilio uses to reach Recours, e.g. https://recours.example.org")
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"PUBLIC_BASE_URL must be an http(s) URL without query, got {raw!r}")
    return raw.rstrip("/")


def _count(env: Mapping[str, str], name: str, default: int, low: int, high: int, unit: str) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of {unit}, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high} {unit}, got {value}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds such as 3 or 1.5, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g} seconds, got {raw}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip().lower() or default
    if raw not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
    return raw


def _clock_time(env: Mapping[str, str], name: str, default: time) -> time:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        hours, minutes = raw.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ConfigError(f"{name} must be a local time HH:MM, got {raw!r}") from None


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in env.get(name, "").split(",") if item.strip())


def _phones(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    numbers = []
    for raw in _list(env, name):
        try:
            numbers.append(to_e164(raw))
        except InvalidPhoneNumber as exc:
            raise ConfigError(f"{name} holds an invalid phone number: {exc}") from None
    return tuple(numbers)


def _emails(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    addresses = _list(env, name)
    for address in addresses:
        local, _, domain = address.partition("@")
        if not local or "." not in domain or " " in address:
            raise ConfigError(f"{name} holds {address!r}, which is not an e-mail address")
    return addresses


def _notify_settings(env: Mapping[str, str], account_sid: str | None, tokens: tuple[str, ...], development: bool) -> NotifySettings:
    backend = _choice(env, "NOTIFY_BACKEND", "log", ("log", "live"))
    if backend == "log" and not development:
        # With "log" a callback request is only written to the log: no senior is ever texted.
        raise ConfigError(
            "NOTIFY_BACKEND is 'log' (the default), which sends no SMS, call or e-mail: set NOTIFY_BACKEND=live "
            "(with TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN), or RECOURS_ENV=development on a developer's machine"
        )
    if backend == "live" and (account_sid is None or not tokens):
        raise ConfigError("NOTIFY_BACKEND=live sends through Twilio: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
    mail_from = env.get("MAIL_FROM", "").strip() or None
    if mail_from is not None:
        _emails({"MAIL_FROM": mail_from}, "MAIL_FROM")
    return NotifySettings(
        backend=backend,
        sms_from=_phone(env, "SMS_FROM") if env.get("SMS_FROM", "").strip() else None,
        max_attempts=_count(env, "NOTIFY_MAX_ATTEMPTS", 5, 1, 10, "attempts"),
        smtp_host=env.get("SMTP_HOST", "").strip() or None,
        smtp_port=_count(env, "SMTP_PORT", 587, 1, 65535, "(port)"),
        smtp_username=env.get("SMTP_USERNAME", "").strip() or None,
        smtp_password=env.get("SMTP_PASSWORD", "") or None,
        smtp_starttls=_bool(env, "SMTP_STARTTLS", True),
        mail_from=mail_from,
    )


def _callback_settings(env: Mapping[str, str]) -> CallbackSettings:
    return CallbackSettings(
        deadline_minutes=_count(env, "CALLBACK_DEADLINE_MINUTES", 60, 5, 24 * 60, "minutes"),
        escalation_lead_minutes=_count(env, "CALLBACK_ESCALATION_LEAD_MINUTES", 15, 1, 12 * 60, "minutes"),
        unrouted_numbers=_phones(env, "CALLBACK_UNROUTED_NUMBERS"),
        notify_missed_calls=_bool(env, "NOTIFY_MISSED_CALLS", False),
        shift_reminder_minutes=_count(env, "SHIFT_REMINDER_MINUTES", 60, 0, 24 * 60, "minutes"),
        defer_minutes=_count(env, "CALLBACK_DEFER_MINUTES", 20, 5, 240, "minutes"),
    )


def _scheduler_settings(env: Mapping[str, str], notify: NotifySettings) -> SchedulerSettings:
    zone = env.get("SCHEDULER_TIMEZONE", "").strip() or "Europe/Paris"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"SCHEDULER_TIMEZONE must be an IANA zone such as Europe/Paris, got {zone!r}") from None
    recipients = _emails(env, "DIGEST_RECIPIENTS")
    if recipients and notify.backend == "live" and not (notify.smtp_host and notify.mail_from):
        raise ConfigError("DIGEST_RECIPIENTS is set: SMTP_HOST and MAIL_FROM are needed to send the digest")
    call_log_months = _count(env, "RETENTION_CALL_LOG_MONTHS", 12, 1, 120, "months")
    return SchedulerSettings(
        timezone=zone,
        tick_seconds=_count(env, "SCHEDULER_TICK_SECONDS", 20, 1, 600, "seconds"),
        gap_alert_time=_clock_time(env, "GAP_ALERT_TIME", time(7, 0)),
        gap_alert_days=_count(env, "GAP_ALERT_DAYS", 14, 1, 60, "days"),
        digest_weekday=_choice(env, "DIGEST_WEEKDAY", "mon", ("mon", "tue", "wed", "thu", "fri", "sat", "sun")),
        digest_time=_clock_time(env, "DIGEST_TIME", time(8, 0)),
        digest_recipients=recipients,
        retention_time=_clock_time(env, "RETENTION_TIME", time(3, 30)),
        retention_call_log_months=call_log_months,
        # Recordings hold patient talk: never kept longer than the call log that points to them.
        retention_recording_months=_count(env, "RETENTION_RECORDING_MONTHS", min(6, call_log_months), 1, call_log_months, "months"),
        retention_mode=_choice(env, "RETENTION_MODE", "anonymise", ("anonymise", "delete")),
        # Twilio ends every call after 4 hours: past that, nothing can still be in progress.
        reconcile_after_minutes=_count(env, "CALL_RECONCILE_MINUTES", 60, 5, 240, "minutes"),
    )


def _web_settings(env: Mapping[str, str]) -> WebSettings:
    lock = _count(env, "SIGN_IN_LOCK_SECONDS", 30, 1, 3600, "seconds")
    max_lock = _count(env, "SIGN_IN_MAX_LOCK_SECONDS", max(900, lock), 1, 86400, "seconds")
    if max_lock < lock:
        raise ConfigError(f"SIGN_IN_MAX_LOCK_SECONDS ({max_lock}) must not be shorter than SIGN_IN_LOCK_SECONDS ({lock})")
    session_hours = _count(env, "SESSION_HOURS", 12, 1, 72, "hours")
    session_max_hours = _count(env, "SESSION_MAX_HOURS", max(24, session_hours), 1, 168, "hours")
    if session_max_hours < session_hours:
        raise ConfigError(f"SESSION_MAX_HOURS ({session_max_hours}) must not be shorter than SESSION_HOURS ({session_hours})")
    return WebSettings(
        session_hours=session_hours,
        session_max_hours=session_max_hours,
        sign_in_free_failures=_count(env, "SIGN_IN_FREE_FAILURES", 5, 1, 100, "failures"),
        sign_in_ip_free_failures=_count(env, "SIGN_IN_IP_FREE_FAILURES", 50, 1, 10000, "failures"),
        sign_in_lock_seconds=lock,
        sign_in_max_lock_seconds=max_lock,
        trusted_proxy_count=_count(env, "TRUSTED_PROXY_COUNT", 0, 0, 5, "proxies"),
        default_language=_choice(env, "DEFAULT_LANGUAGE", "fr", ("fr", "en")),
        softphone_enabled=_bool(env, "SOFTPHONE_ENABLED", True),
        board_poll_seconds=_count(env, "BOARD_POLL_SECONDS", 3, 1, 60, "seconds"),
        board_stream_seconds=_count(env, "BOARD_STREAM_SECONDS", 60, 5, 3600, "seconds"),
    )


def _local_settings(env: Mapping[str, str], instance_path: str | os.PathLike[str]) -> LocalStateSettings:
    return LocalStateSettings(
        journal_dir=env.get("JOURNAL_DIR", "").strip() or str(Path(instance_path) / "journal"),
        snapshot_dir=env.get("ROUTING_SNAPSHOT_DIR", "").strip() or str(Path(instance_path) / "routing"),
        snapshot_hours=_count(env, "ROUTING_SNAPSHOT_HOURS", 36, 24, 168, "hours"),
        snapshot_refresh_seconds=_count(env, "ROUTING_REFRESH_SECONDS", 60, 5, 3600, "seconds"),
        rota_poll_seconds=_count(env, "ROTA_VERSION_POLL_SECONDS", 2, 1, 60, "seconds"),
        write_behind=_bool(env, "CALLLOG_WRITE_BEHIND", False),
    )


def _environment(env: Mapping[str, str]) -> str:
    return _choice(env, "RECOURS_ENV", "production", ENVIRONMENTS)


def _secret_key(env: Mapping[str, str], development: bool) -> str:
    key = env.get("SECRET_KEY", "").strip()
    if development:
        # A developer without one still starts (sign-ins then last until the process stops).
        return key or os.urandom(32).hex()
    if not key:
        raise ConfigError(
            "SECRET_KEY is not set: it signs the sessions of every worker and instance and must be the same for all "
            "and survive restarts. Set SECRET_KEY to a random value, e.g. the output of: "
            "python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(f"SECRET_KEY is too short ({len(key)} characters): give at least {MIN_SECRET_KEY_LENGTH} random characters")
    return key


def default_database_url(instance_path: str | os.PathLike[str]) -> str:
    return f"sqlite:///{Path(instance_path) / 'recours.sqlite3'}"


def load_settings(env: Mapping[str, str], instance_path: str | os.PathLike[str]) -> Settings:
    """Build and validate the settings; raises :class:`ConfigError` naming the first bad variable."""
    tokens = tuple(t for t in (env.get("TWILIO_AUTH_TOKEN", "").strip(), env.get("TWILIO_AUTH_TOKEN_SECONDARY", "").strip()) if t)
    account_sid = env.get("TWILIO_ACCOUNT_SID", "").strip() or None
    if account_sid is not None and not (account_sid.startswith("AC") and len(account_sid) == 34):
        raise ConfigError(f"TWILIO_ACCOUNT_SID must look like AC followed by 32 characters, got {account_sid!r}")
    database_url = env.get("DATABASE_URL", "").strip() or default_database_url(instance_path)
    if "://" not in database_url:
        raise ConfigError(f"DATABASE_URL must be a SQLAlchemy URL (sqlite:///..., postgresql+psycopg://...), got {database_url!r}")
    environment = _environment(env)
    development = environment == "development"
    notify = _notify_settings(env, account_sid, tokens, development)
    return Settings(
        environment=environment,
        database_url=database_url,
        secret_key=_secret_key(env, development),
        twilio_account_sid=account_sid,
        twilio_auth_tokens=tokens,
        public_base_url=_base_url(env),
        hotline_number=_phone(env, "HOTLINE_NUMBER"),
        fallback_number=_phone(env, "FALLBACK_NUMBER"),
        ring_timeout=_count(env, "RING_TIMEOUT", 20, 5, 120, "seconds"),
        menu_timeout=_count(env, "MENU_TIMEOUT", 5, 1, 30, "seconds"),
        screen_timeout=_count(env, "SCREEN_TIMEOUT", 6, 1, 30, "seconds"),
        menu_max_failures=_count(env, "MENU_MAX_FAILURES", 3, 1, 10, "failures"),
        record_max_length=_count(env, "RECORD_MAX_LENGTH", 120, 10, 600, "seconds"),
        show_gp_number_to_senior=_bool(env, "SHOW_GP_NUMBER_TO_SENIOR", False),
        tts_voice_fr=env.get("TTS_VOICE_FR", "").strip() or "Polly.Lea",
        tts_voice_en=env.get("TTS_VOICE_EN", "").strip() or "Polly.Amy",
        notify=notify,
        callbacks=_callback_settings(env),
        scheduler=_scheduler_settings(env, notify),
        web=_web_settings(env),
        local=_local_settings(env, instance_path),
        # Far under Twilio's 15 s, over a healthy webhook's few milliseconds.
        budget=WebhookBudget(
            _seconds(env, "WEBHOOK_BUDGET_SECONDS", 3.0, 0.5, 10.0),
            _seconds(env, "WEBHOOK_BREAKER_SECONDS", 0.0, 0.0, 120.0) if env.get("WEBHOOK_BREAKER_SECONDS", "").strip() else None,
        ),
        cli_language=_choice(env, "CLI_LANGUAGE", env.get("DEFAULT_LANGUAGE", "").strip().lower() or "fr", ("fr", "en")),
    )
