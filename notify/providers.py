"""The one small interface to the outside world: send an SMS, start a call, send an e-mail, delete a
recording. :class:`LiveNotifier` uses the real ``twilio.rest.Client`` and ``smtplib``; :class:`LogNotifier`
only writes to the log (development). Tests run the live one with a recording Twilio HTTP client and a
local SMTP server.

Every failure becomes a :class:`SendError` that says whether trying again may help.
"""

from __future__ import annotations

import contextlib
import logging
import re
import smtplib
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol

from twilio.base.exceptions import TwilioException, TwilioRestException

from core.config import Settings

if TYPE_CHECKING:
    # twilio.http and twilio.rest bring ``requests`` and its dependencies (about 100 modules): imported
    # when the first REST request is made, not in every webhook worker that never makes one.
    from twilio.http import HttpClient
    from twilio.rest import Client

log = logging.getLogger(__name__)

# Seconds Recours waits for Twilio's REST API or the SMTP server before counting an attempt failed.
NETWORK_TIMEOUT = 10.0

# Status codes after which the same request will fail again: a bad number, a number that cannot take SMS,
# an opted-out recipient, bad credentials. 408 and 429 are "try later".
_RETRYABLE_HTTP = {408, 409, 429}


class SendError(Exception):
    """An attempt failed. ``permanent``: the same request cannot succeed (retrying is pointless)."""

    def __init__(self, message: str, *, permanent: bool, code: str | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code


class Notifier(Protocol):
    def send_sms(self, to: str, body: str, status_callback: str | None) -> str:
        """Send an SMS from the hotline number; returns the provider's message SID."""

    def start_call(self, to: str, url: str, status_callback: str, timeout: int) -> str:
        """Call ``to`` from the hotline number; Twilio fetches ``url`` once it answers. Returns the CallSid."""

    def send_email(self, to: Sequence[str], subject: str, body: str) -> None: ...

    def end_call(self, sid: str, status: str) -> None:
        """End a call Recours placed: ``canceled`` (still ringing) or ``completed`` (answered)."""

    def redirect_call(self, sid: str, url: str) -> None:
        """Have a live call leave what it is doing and run the TwiML at ``url`` (POST)."""

    def delete_recording(self, sid: str) -> None:
        """Delete a call recording at Twilio; one that no longer exists counts as deleted."""

    def fetch_call(self, sid: str) -> TwilioCall | None:
        """What Twilio's REST Call resource says of call ``sid``; None when nobody can tell (no REST
        credentials, or a call Twilio does not know). Raises :class:`SendError` when Twilio could not
        be asked (the network, a 5xx): try again later."""


# Twilio's final call statuses (TWILIO.md).
FINAL_CALL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


@dataclass(frozen=True)
class TwilioCall:
    """The part of Twilio's Call resource that closes a call in the log."""

    status: str
    ended_at: datetime | None

    @property
    def final(self) -> bool:
        return self.status in FINAL_CALL_STATUSES

    def fetch_recording(self, sid: str, seconds: int | None) -> RecordingAudio:
        """The audio of a call recording (a GP's message), fetched from Twilio with the account's
        credentials, to be streamed to a signed-in user: the browser never sees a Twilio URL."""


@dataclass(frozen=True)
class RecordingAudio:
    content_type: str
    chunks: Iterator[bytes]
    length: int | None = None


RECORDING_SID = re.compile(r"^RE[0-9a-fA-F]{32}$")
MEDIA_CHUNK = 64 * 1024


def recording_media_url(account_sid: str, sid: str) -> str:
    """Twilio's media URL of a recording, built from its SID (never from a URL a request carried)."""
    if not RECORDING_SID.match(sid):
        raise SendError(f"not a recording SID: {sid!r}", permanent=True)
    return f"https://api.twilio.com/2010-04-01/Accounts/{account_sid}/Recordings/{sid}.wav"


def _fetch_media(http: HttpClient, url: str, auth: tuple[str, str]) -> RecordingAudio:
    """GET a media URL with HTTP basic auth through the Twilio HTTP client in use. twilio-python's own
    ``request`` hands back decoded text, which would ruin audio: an HTTP client that serves media itself
    (the simulator's REST API) answers ``get_media``; the real one's ``requests`` session streams the bytes
    (following Twilio's redirection to its storage, which ``requests`` does without the credentials)."""
    get_media = getattr(http, "get_media", None)
    if get_media is not None:
        status, content_type, body = get_media(url, auth)
        if status != 200:
            raise SendError(f"Twilio {status} fetching the recording", permanent=400 <= status < 500, code=str(status))
        return RecordingAudio(content_type, iter([body]), len(body))
    import requests

    session = getattr(http, "session", None) or requests.Session()
    try:
        response = session.get(url, auth=auth, timeout=NETWORK_TIMEOUT, stream=True, allow_redirects=True)
    except requests.RequestException as exc:
        raise SendError(f"{type(exc).__name__}: {exc}", permanent=False) from exc
    if response.status_code != 200:
        response.close()
        status = response.status_code
        raise SendError(f"Twilio {status} fetching the recording", permanent=400 <= status < 500 and status not in _RETRYABLE_HTTP)
    length = response.headers.get("Content-Length")
    return RecordingAudio(
        response.headers.get("Content-Type", "audio/wav"),
        response.iter_content(MEDIA_CHUNK),
        int(length) if length and length.isdigit() else None,
    )


# -- Twilio's HTTP client, replaceable in tests -------------------------------------------------------


def _real_http_client() -> HttpClient:
    # No automatic retries here: a POST retried by the HTTP layer could send an SMS twice. The outbox
    # decides about retrying, once it knows what happened.
    from twilio.http.http_client import TwilioHttpClient

    return TwilioHttpClient(timeout=NETWORK_TIMEOUT)


_http_client_factory: Callable[[], HttpClient] = _real_http_client


@contextlib.contextmanager
def use_twilio_http_client(factory: Callable[[], HttpClient]) -> Iterator[None]:
    """Make every Twilio client built inside the block use ``factory()`` (tests: a recording client)."""
    global _http_client_factory
    previous, _http_client_factory = _http_client_factory, factory
    try:
        yield
    finally:
        _http_client_factory = previous


def _twilio_error(exc: Exception) -> SendError:
    if isinstance(exc, TwilioRestException):
        permanent = 400 <= exc.status < 500 and exc.status not in _RETRYABLE_HTTP
        code = str(exc.code) if exc.code is not None else str(exc.status)
        return SendError(f"Twilio {exc.status} error {code}: {exc.msg}", permanent=permanent, code=code)
    # Network errors, timeouts, Twilio 5xx pages that are not JSON: all may pass.
    return SendError(f"{type(exc).__name__}: {exc}", permanent=False)


class LiveNotifier:
    """Twilio REST (SMS, calls, recordings) and SMTP (e-mail)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            from twilio.rest import Client

            assert self.settings.twilio_account_sid and self.settings.twilio_auth_tokens  # checked by load_settings
            self._client = Client(self.settings.twilio_account_sid, self.settings.twilio_auth_tokens[0], http_client=_http_client_factory())
        return self._client

    def send_sms(self, to: str, body: str, status_callback: str | None) -> str:
        options = {"status_callback": status_callback} if status_callback else {}
        try:
            sender = self.settings.notify.sms_from or self.settings.hotline_number
            message = self.client.messages.create(to=to, from_=sender, body=body, **options)
        except (TwilioException, OSError, ValueError) as exc:
            raise _twilio_error(exc) from exc
        return message.sid

    def start_call(self, to: str, url: str, status_callback: str, timeout: int) -> str:
        try:
            call = self.client.calls.create(
                to=to,
                from_=self.settings.hotline_number,
                url=url,
                method="POST",
                status_callback=status_callback,
                # The REST API takes repeated parameters: a list here (unlike TwiML attributes).
                status_callback_event=["initiated", "ringing", "answered", "completed"],
                status_callback_method="POST",
                timeout=timeout,
            )
        except (TwilioException, OSError, ValueError) as exc:
            raise _twilio_error(exc) from exc
        return call.sid

    def end_call(self, sid: str, status: str) -> None:
        try:
            self.client.calls(sid).update(status=status)
        except (TwilioException, OSError, ValueError) as exc:
            raise _twilio_error(exc) from exc

    def redirect_call(self, sid: str, url: str) -> None:
        try:
            self.client.calls(sid).update(url=url, method="POST")
        except (TwilioException, OSError, ValueError) as exc:
            raise _twilio_error(exc) from exc

    def delete_recording(self, sid: str) -> None:
        try:
            self.client.recordings(sid).delete()
        except TwilioRestException as exc:
            if exc.status == 404:
                return  # already gone: what we wanted
            raise _twilio_error(exc) from exc
        except (TwilioException, OSError, ValueError) as exc:
            raise _twilio_error(exc) from exc

    def fetch_call(self, sid: str) -> TwilioCall | None:
        try:
            call = self.client.calls(sid).fetch()
        except TwilioRestException as exc:
            if exc.status == 404:
                return None
            raise _twilio_error(exc) from exc
        except (TwilioException, OSError, ValueError) as exc:
            raise _twilio_error(exc) from exc
        ended_at = call.end_time
        if isinstance(ended_at, datetime):
            ended_at = ended_at.astimezone(UTC) if ended_at.tzinfo else ended_at.replace(tzinfo=UTC)
        else:
            ended_at = None
        return TwilioCall(status=str(call.status or ""), ended_at=ended_at)

    def fetch_recording(self, sid: str, seconds: int | None) -> RecordingAudio:
        account = self.settings.twilio_account_sid
        assert account and self.settings.twilio_auth_tokens  # checked by load_settings
        return _fetch_media(self.client.http_client, recording_media_url(account, sid), (account, self.settings.twilio_auth_tokens[0]))

    def send_email(self, to: Sequence[str], subject: str, body: str) -> None:
        notify = self.settings.notify
        if not notify.smtp_host or not notify.mail_from:
            raise SendError("SMTP_HOST and MAIL_FROM must be set to send e-mail", permanent=True)
        message = EmailMessage()
        message["From"] = notify.mail_from
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message["Message-ID"] = f"<{uuid.uuid4().hex}@recours>"
        message.set_content(body)
        try:
            with smtplib.SMTP(notify.smtp_host, notify.smtp_port, timeout=NETWORK_TIMEOUT) as smtp:
                if notify.smtp_starttls:
                    smtp.starttls()
                if notify.smtp_username:
                    smtp.login(notify.smtp_username, notify.smtp_password or "")
                smtp.send_message(message)
        except (
            smtplib.SMTPRecipientsRefused,
            smtplib.SMTPSenderRefused,
            smtplib.SMTPAuthenticationError,
            smtplib.SMTPNotSupportedError,
        ) as exc:
            raise SendError(f"SMTP refused: {exc}", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(f"SMTP: {type(exc).__name__}: {exc}", permanent=False) from exc


@dataclass
class LogNotifier:
    """Development: what would be sent is written to the log, with a fake SID. Never the text itself: an
    SMS or e-mail names GPs ("rappel demandé par Dr …"), and logs are no place for them; the outbox row
    (``flask notifications``) keeps what was sent. Numbers are masked by :mod:`core.logmask`."""

    def send_sms(self, to: str, body: str, status_callback: str | None) -> str:
        log.info("SMS to %s (%d characters, not logged)", to, len(body))
        return "SMlog" + uuid.uuid4().hex[:29]

    def start_call(self, to: str, url: str, status_callback: str, timeout: int) -> str:
        log.info("CALL to %s, TwiML from %s", to, url)
        return "CAlog" + uuid.uuid4().hex[:29]

    def end_call(self, sid: str, status: str) -> None:
        log.info("END call %s (%s)", sid, status)

    def redirect_call(self, sid: str, url: str) -> None:
        log.info("REDIRECT call %s to %s", sid, url)

    def send_email(self, to: Sequence[str], subject: str, body: str) -> None:
        log.info("E-MAIL to %d recipient(s), %d characters (not logged)", len(to), len(subject) + len(body))

    def delete_recording(self, sid: str) -> None:
        log.info("DELETE recording %s", sid)

    def fetch_call(self, sid: str) -> TwilioCall | None:
        return None  # no REST API here: nobody can tell what became of the call

    def fetch_recording(self, sid: str, seconds: int | None) -> RecordingAudio:
        """Development has no Twilio account to fetch from: the simulator's stand-in audio (a quiet tone
        as long as the message), so the page's player can be tried."""
        from simulator.audio import stand_in_wav

        log.info("GET recording %s: the simulator's stand-in audio (development)", sid)
        body = stand_in_wav(seconds or 1)
        return RecordingAudio("audio/wav", iter([body]), len(body))


def notifier_for(settings: Settings) -> Notifier:
    return LiveNotifier(settings) if settings.notify.backend == "live" else LogNotifier()


def current_notifier() -> Notifier:
    """The notifier of the current application, built once per application."""
    from flask import current_app

    notifier = current_app.extensions.get("recours.notifier")
    if notifier is None:
        notifier = current_app.extensions["recours.notifier"] = notifier_for(current_app.config["SETTINGS"])
    return notifier
