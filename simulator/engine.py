"""The simulated Twilio: runs calls through the app's webhooks on a virtual clock.

`Simulator` holds what is configured on the Twilio number (URLs, token) and the account's REST API
(`Simulator.rest`: a twilio ``HttpClient`` that the app's own ``twilio.rest.Client`` talks to). `call`
places one GP call; `run_outbound` runs the calls the app placed through the REST API while no GP
call was running. Each run is a `_Call`, a process per leg on the `Scheduler`:

- the GP's leg interprets TwiML documents verb by verb;
- a ``<Dial>`` of ``<Number>``s spawns one process per Number (ringing, answer, whisper, bridge,
  talk) and waits for them;
- a ``<Dial><Conference>`` puts the leg in a room shared with every other leg of the run: it waits
  with the ``waitUrl`` until a participant with ``startConferenceOnEnter`` comes, and leaves when
  its person hangs up or a participant with ``endConferenceOnExit`` leaves;
- a leg created with ``POST …/Calls.json`` rings ``Timeout`` seconds, fetches its ``Url`` once
  answered and runs that TwiML like any call; ``POST …/Calls/{sid}.json`` with ``Status=canceled``
  or ``completed`` ends it; with ``Url`` on the GP's live call, the call abandons its current verb
  (a conference wait, a Dial) and runs the TwiML of that URL.

Hang-ups and cancellations arrive as exceptions thrown into whatever a leg was doing. Every
request is signed exactly as Twilio signs it. Where Twilio's behaviour is not verified, the choice
is a switch of `Simulator.call`, marked ``# unverified``.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urlencode, urljoin, urlsplit
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

from . import twiml
from .actors import Callee, GatherContext, GPAction, HangUp, HangUpAt, NoAnswer, Press, Silence, Talk
from .clock import Process, Scheduler, Sleep
from .rest import RestApi
from .result import CallResult, ConferenceRecord, LegRecord, Recording, RequestRecord, SimIssue, SmsRecord, Utterance
from .transport import USER_AGENT, HttpAnswer, Transport

API_VERSION = "2010-04-01"
DEFAULT_START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)  # a Monday morning
APPLICATION_ERROR = "We are sorry, an application error has occurred. Goodbye."
PLAY_SECONDS = 3.0  # length assumed for a <Play> whose length cannot be read (MP3, a URL elsewhere)


@dataclass
class Media:
    """A <Play> file as Twilio keeps it: fetched with a GET, kept as long as its Cache-Control says,
    asked for again with If-None-Match (a 304 keeps the copy)."""

    url: str
    content_type: str
    seconds: float
    etag: str | None
    fetched_at: datetime
    max_age: float


def _max_age(headers: tuple[tuple[str, str], ...]) -> float:
    for name, value in headers:
        if name.lower() == "cache-control":
            for part in value.split(","):
                key, _, number = part.strip().partition("=")
                if key.lower() == "max-age" and number.isdigit():
                    return float(number)
    return 0.0


def _header(headers: tuple[tuple[str, str], ...], wanted: str) -> str | None:
    return next((value for name, value in headers if name.lower() == wanted), None)


def wav_seconds(data: bytes) -> float | None:
    """The length of a PCM WAV file from its header (byte rate and data chunk), or None."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    position, byte_rate = 12, None
    while position + 8 <= len(data):
        chunk, size = data[position : position + 4], int.from_bytes(data[position + 4 : position + 8], "little")
        if chunk == b"fmt " and size >= 12:
            byte_rate = int.from_bytes(data[position + 16 : position + 20], "little")
        elif chunk == b"data" and byte_rate:
            return min(size, len(data) - position - 8) / byte_rate
        position += 8 + size + (size & 1)
    return None


AUTO_SPEECH_END = 1.0  # guess: silence after which speechTimeout="auto" ends the utterance
MAX_CALL_SECONDS = 4 * 3600  # Twilio's limit on a call's length
CALLBACK_MODES = ("in-order", "duplicated", "reversed", "shuffled")
DIAL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")


class CallerHungUp(Exception):
    """Thrown into the GP's leg when the GP hangs up, wherever the call is."""


class LegEnded(Exception):
    """Thrown into a dialled leg that Twilio ends: another leg was bridged, or the GP hung up."""


class CalleeHungUp(Exception):
    """The person on a senior's leg hangs up (during the whisper, or after talking in a conference)."""


class CallRedirected(Exception):
    """Thrown into a live leg whose call the app modified with ``POST …/Calls/{sid}.json`` and ``Url``:
    Twilio abandons whatever verb the call was in (a Dial's legs are hung up, a conference left, without
    the Dial action — unverified) and runs the TwiML fetched from the new URL."""

    def __init__(self, url: str, method: str) -> None:
        super().__init__(url)
        self.url, self.method = url, method


class _RoomStarted(Exception):
    """Thrown into a leg waiting in a conference: someone started it."""


class _RoomEnded(Exception):
    """Thrown into a leg in a conference that ended (its Dial is over; its TwiML goes on)."""


# Whatever ends the person's presence on a leg: the GP, the callee, or Twilio (cancel, completed).
_LEG_GONE = (CallerHungUp, LegEnded, CalleeHungUp)


@dataclass(frozen=True)
class _Next:
    """Go on with this document (from an action or a Redirect); None: no TwiML could be obtained."""

    document: twiml.Document | None


@dataclass(frozen=True)
class _End:
    """This leg's TwiML is over: ran out of verbs, <Hangup>, <Reject> or an error."""

    reason: str


class Simulator:
    """A Twilio phone number pointing at the app, plus the people who call it and get dialled."""

    def __init__(
        self,
        transport: Transport,
        public_base_url: str,
        auth_token: str,
        account_sid: str = "AC" + "0" * 32,
        voice_url: str = "/twilio/voice",
        status_callback_url: str | None = "/twilio/status",
        fallback_url: str | None = "/twilio/fallback",
        chars_per_second: float = 15.0,
        start: datetime = DEFAULT_START,
        post_dial_delay: float = 0.0,
        dial_timeout_slack: float = 0.0,
        max_requests: int = 500,
        sms_url: str | None = "/twilio/sms",
        webhook_timeout: float = 15.0,
        realtime: bool = False,
    ):
        if not auth_token:
            raise ValueError("an auth token is needed: Twilio signs every request")
        if start.tzinfo is None:
            raise ValueError("start must be an aware datetime (UTC)")
        self.transport = transport
        self.public_base_url = public_base_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.auth_token = auth_token
        self.account_sid = account_sid
        self.voice_url = self.number_url(voice_url)
        self.status_callback_url = self.number_url(status_callback_url) if status_callback_url else None
        self.fallback_url = self.number_url(fallback_url) if fallback_url else None
        self.chars_per_second = chars_per_second
        self.start = start
        # Time between <Dial> and the first ring; Twilio needs a second or two on real networks.
        self.post_dial_delay = post_dial_delay
        # TWILIO.md: "Twilio adds about 5 s" to a Dial timeout. Unverified, so 0 by default.
        self.dial_timeout_slack = dial_timeout_slack
        # A TwiML loop (Redirect to itself) would never end on a virtual clock.
        self.max_requests = max_requests
        self.sms_url = self.number_url(sms_url) if sms_url else None
        # Twilio gives up on a webhook after 15 s (real time) and treats it as a retrieval failure (11200).
        self.webhook_timeout = webhook_timeout
        # Calls take their real time (simulator.clock.Scheduler): for a server that stamps with its own clock.
        self.realtime = realtime
        self._running: _Call | None = None
        self._thread: int | None = None
        # The account's REST API: install with notify.providers.use_twilio_http_client(lambda: sim.rest).
        self.rest = RestApi(self)
        self.sms: list[SmsRecord] = []  # every SMS the app sent through the REST API
        self.issues: list[SimIssue] = []  # REST problems outside any run
        self._outbound: list[_ApiCallSpec] = []  # REST calls placed between runs, started by run_outbound
        self._api_calls: dict[str, _ApiCallSpec] = {}  # every REST call, by CallSid
        self._inbound_calls: dict[str, dict[str, object]] = {}  # the Call resource of each GP's call played
        self.recordings: dict[str, Recording] = {}  # every recording made, by RecordingSid (served by rest)
        self.media: dict[str, Media] = {}  # <Play> files fetched, by URL (Twilio's cache)
        self.media_requests: list[tuple[str, int]] = []  # each GET of a <Play> file: (URL, status)

    def now(self) -> datetime:
        """The virtual instant (aware UTC) of the call being simulated, ``start`` between calls.

        Install it as the app's clock (``core.clock.use_clock(simulator.now)``) so the app stamps
        its log with the same time as the simulated timeline."""
        seconds = self._running.now if self._running is not None else 0.0
        return self.start + timedelta(seconds=seconds)

    def number_url(self, url: str) -> str:
        """A URL configured on the number: absolute, or relative to the public base URL."""
        if urlsplit(url).scheme:
            return url
        return f"{self.public_base_url}/{url.lstrip('/')}"

    def call(
        self,
        *,
        from_: str = "+33612345678",
        to: str,
        gp: Iterable[GPAction] = (),
        callees: Mapping[str, Callee] | None = None,
        default_callee: Callee | None = None,
        hang_up_at: float | None = None,
        status_callbacks: str = "in-order",
        dial_action_after_caller_hangup: bool = True,
        whisper_hangup_dial_status: str = "completed",
        record_action_on_silence: bool = False,
        wait_url_loops: bool = True,
        seed: int = 0,
    ) -> CallResult:
        """Place one call from the GP `from_` to the number `to` and return what happened.

        `gp` is consumed one action per Gather/Record the GP meets (silence once exhausted);
        `callees` says how each dialled number behaves (`default_callee` otherwise, no answer by
        default); `hang_up_at` is an absolute virtual second at which the GP hangs up.
        `status_callbacks` chooses how callbacks are delivered: "in-order", "duplicated",
        "reversed" or "shuffled" (seeded by `seed`). The other switches choose among Twilio
        behaviours nobody verified (see their use in `_Call`).
        Calls the app places through `rest` meanwhile ring in the same run, on the same clock.
        """
        if status_callbacks not in CALLBACK_MODES:
            raise ValueError(f"status_callbacks must be one of {CALLBACK_MODES}")
        if whisper_hangup_dial_status not in DIAL_STATUSES:
            raise ValueError(f"whisper_hangup_dial_status must be one of {DIAL_STATUSES}")
        call = _Call(
            self,
            gp=(from_, to),
            gp_script=list(gp),
            callees=dict(callees or {}),
            default_callee=default_callee or NoAnswer(),
            callback_mode=status_callbacks,
            dial_action_after_caller_hangup=dial_action_after_caller_hangup,
            whisper_hangup_dial_status=whisper_hangup_dial_status,
            record_action_on_silence=record_action_on_silence,
            wait_url_loops=wait_url_loops,
            rng=random.Random(seed),
        )
        return self._run(call, hang_up_at)

    def run_outbound(
        self,
        *,
        callees: Mapping[str, Callee] | None = None,
        default_callee: Callee | None = None,
        status_callbacks: str = "in-order",
        seed: int = 0,
    ) -> CallResult:
        """Run the calls the app placed through the REST API since the last run (the callback call
        a senior asked for by SMS, say), with the people answering as `callees` say."""
        if status_callbacks not in CALLBACK_MODES:
            raise ValueError(f"status_callbacks must be one of {CALLBACK_MODES}")
        if not self._outbound:
            raise RuntimeError("the app placed no call through the REST API since the last run")
        call = _Call(
            self,
            gp=None,
            gp_script=[],
            callees=dict(callees or {}),
            default_callee=default_callee or NoAnswer(),
            callback_mode=status_callbacks,
            dial_action_after_caller_hangup=True,
            whisper_hangup_dial_status="completed",
            record_action_on_silence=False,
            wait_url_loops=True,
            rng=random.Random(seed),
        )
        return self._run(call, None)

    def _run(self, call: _Call, hang_up_at: float | None) -> CallResult:
        if self._running is not None:
            raise RuntimeError("a simulated call is already running")
        self._running, self._thread = call, threading.get_ident()
        try:
            waiting, self._outbound = self._outbound, []
            for spec in waiting:
                call.place(spec)
            result = call.run(hang_up_at)
            if call.gp is not None:
                self._note_inbound(result)
            return result
        finally:
            self._running = self._thread = None

    def reply_sms(self, from_: str, body: str, to: str | None = None) -> str | None:
        """A person texts the hotline (the number's "A message comes in" URL); returns the text of
        the app's ``<Message>`` answer, or None when it answers nothing."""
        if self.sms_url is None:
            raise RuntimeError("no SMS URL configured on the simulated number")
        params = {
            "MessageSid": _sid("SM"),
            "SmsSid": "",
            "AccountSid": self.account_sid,
            "From": from_,
            "To": to or "",
            "Body": body,
            "NumMedia": "0",
            "ApiVersion": API_VERSION,
        }
        params["SmsSid"] = params["MessageSid"]
        headers = {"X-Twilio-Signature": self.validator.compute_signature(self.sms_url, params), "User-Agent": USER_AGENT}
        answer = self.transport.request("POST", self.sms_url, params, headers, self.public_base_url)
        if answer.status != 200:
            raise RuntimeError(f"the SMS webhook answered HTTP {answer.status}: {answer.body[:200]}")
        if not answer.body.strip():
            return None
        message = ElementTree.fromstring(answer.body).find("Message")
        return None if message is None else "".join(message.itertext())

    def fetch_media(self, url: str) -> Media | None:
        """The file of a <Play>, from the cache while its max-age lasts, else with a (conditional) GET;
        None (and an error) when the app does not serve audio there."""
        now = self.now()
        cached = self.media.get(url)
        if cached is not None and now < cached.fetched_at + timedelta(seconds=cached.max_age):
            return cached
        if not url.startswith(self.public_base_url + "/"):
            return Media(url, "audio/mpeg", PLAY_SECONDS, None, now, 0.0)  # elsewhere: not the app's to check
        headers = {"User-Agent": USER_AGENT}
        if cached is not None and cached.etag:
            headers["If-None-Match"] = cached.etag
        answer = self.transport.request("GET", url, {}, headers, self.public_base_url)
        self.media_requests.append((url, answer.status))
        if answer.status == 304 and cached is not None:
            cached.fetched_at, cached.max_age = now, _max_age(answer.headers) or cached.max_age
            return cached
        if answer.status != 200 or not answer.content_type.startswith("audio/"):
            # Twilio: error 11200 (retrieval) or 12300 (Content-Type); the verb is skipped.
            self._issue(f"<Play> {url}: HTTP {answer.status} {answer.content_type or '(no Content-Type)'}, not playable audio")
            self.media.pop(url, None)
            return None
        seconds = wav_seconds(answer.content) or PLAY_SECONDS
        media = Media(url, answer.content_type, seconds, _header(answer.headers, "etag"), now, _max_age(answer.headers))
        self.media[url] = media
        return media

    # ------------------------------------------------------------------ the REST API's side

    def _issue(self, message: str) -> None:
        running = self._running
        if running is not None:
            running._error(None, message)
        else:
            self.issues.append(SimIssue(0.0, None, message))

    def _from_another_thread(self) -> bool:
        return self._running is not None and threading.get_ident() != self._thread

    def create_call(self, spec: _ApiCallSpec) -> None:
        """``POST …/Calls.json`` was accepted: ring now if a run is going on, else at `run_outbound`."""
        self._api_calls[spec.sid] = spec
        if self._from_another_thread():
            # Its virtual time is unknown: the app must place calls from the request (or the job) that decides them.
            self._issue(f"REST call to {spec.to} placed from another thread than the simulated call's")
        if self._running is not None:
            self._running.place(spec)
        else:
            self._outbound.append(spec)

    def api_call(self, sid: str) -> _ApiCallSpec | None:
        return self._api_calls.get(sid)

    def inbound_call(self, sid: str) -> dict[str, object] | None:
        """The Call resource of a GP's call this simulator played (``GET …/Calls/{CallSid}.json``)."""
        return self._inbound_calls.get(sid)

    def _note_inbound(self, result: CallResult) -> None:
        ended = self.start + timedelta(seconds=result.ended_at or 0.0)
        self._inbound_calls[result.call_sid] = {
            "sid": result.call_sid,
            "account_sid": self.account_sid,
            "to": result.to,
            "from": result.from_,
            "status": result.final_status,
            "direction": "inbound",
            "api_version": API_VERSION,
            "start_time": format_datetime(self.start),
            "end_time": format_datetime(ended),
            "duration": str(round(result.ended_at or 0.0)),
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{result.call_sid}.json",
        }

    def inbound_leg(self, sid: str) -> _Leg | None:
        """The running GP call with this CallSid (the REST API may modify it too)."""
        running = self._running
        if running is not None and running.gp is not None and running.gp.sid == sid:
            return running.gp
        return None

    def redirect_call(self, leg: _Leg, url: str, method: str) -> bool:
        """``Url`` on a live call: it leaves what it was doing and runs that URL's TwiML. False when the
        call is no longer in progress (Twilio answers error 21220)."""
        running = self._running
        if running is None or leg.process is None or leg.call_status in _FINAL or (leg.is_gp and running.caller_gone):
            return False
        running._event("rest-redirect", f"{leg.name} to {url}")
        running.sched.interrupt(leg.process, CallRedirected(urljoin(self.public_base_url + "/", url), method))
        return True

    def update_call(self, spec: _ApiCallSpec, status: str) -> None:
        """``Status=canceled`` ends a queued or ringing leg (and nothing else); ``completed`` ends it whatever its state."""
        if spec.status in _FINAL:
            return
        if spec.leg is None:  # not started yet (placed between runs): it never rings
            if status in ("canceled", "completed"):
                self._outbound = [waiting for waiting in self._outbound if waiting is not spec]
                spec.status, spec.ended_by_api = "canceled", True
            return
        if status == "canceled" and spec.status not in ("queued", "initiated", "ringing"):
            return  # Twilio: canceling an answered call has no effect
        running = self._running
        if running is None or spec.leg not in running.api_legs:
            return
        spec.ended_by_api = True
        running.end_by_api(spec.leg)

    def record_sms(self, to: str, from_: str, body: str, status_callback: str | None) -> SmsRecord:
        running = self._running
        t = running.now if running is not None else 0.0
        record = SmsRecord(t=t, at=self.now(), sid=_sid("SM"), to=to, from_=from_, body=body, status_callback=status_callback)
        self.sms.append(record)
        if running is not None:
            running.result.sms.append(record)
        return record


def _sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


_FINAL = ("completed", "busy", "no-answer", "failed", "canceled")
REST_CALL_EVENTS = ("initiated", "ringing", "answered", "completed")


class _Leg:
    """One call leg as Twilio sees it: its identity in webhooks, its status, its pending callbacks.

    ``kind`` is "gp" (the inbound call), "dialled" (a ``<Number>`` of the GP's Dial: only a whisper
    runs on it) or "api" (placed through the REST API: runs any TwiML)."""

    def __init__(self, name: str, params: dict[str, str], call_status: str, kind: str):
        self.name = name  # "gp" or the dialled number
        self.params = params  # the standard parameters, CallStatus excepted
        self.call_status = call_status
        self.kind = kind
        self.sequence = 0  # next SequenceNumber of its status callbacks
        self.held: list[tuple[str, str, dict[str, str]]] = []  # callbacks awaiting delivery
        self.process: Process | None = None
        self.participant: _Participant | None = None  # while in a conference

    @property
    def sid(self) -> str:
        return self.params["CallSid"]

    @property
    def is_gp(self) -> bool:
        return self.kind == "gp"

    def webhook_params(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {**self.params, "CallStatus": self.call_status, **(extra or {})}


class _Dial:
    """One ``<Dial>`` of Numbers in progress on a leg (the GP's, or a REST-placed one's)."""

    def __init__(self, parent: _Leg, verb: twiml.Dial, doc_url: str, started_at: float):
        self.parent = parent
        self.verb = verb
        self.doc_url = doc_url
        self.started_at = started_at
        self.children: list[_Child] = []
        self.bridged: _Child | None = None
        self.caller_hung_up = False
        self.coordinator_waiting = False
        self.ringback = False

    def finished(self) -> bool:
        return all(child.record.ended_at is not None for child in self.children)


class _Child(_Leg):
    """A dialled ``<Number>``: its leg, how its person behaves, and the record kept in the result."""

    def __init__(self, params: dict[str, str], number: twiml.Number, behaviour: Callee, dial: _Dial, record: LegRecord):
        super().__init__(number.number, params, "in-progress", "dialled")
        self.number = number
        self.behaviour = behaviour
        self.dial = dial
        self.record = record


@dataclass
class _ApiCallSpec:
    """A call placed with ``POST …/Calls.json``: what the app asked for, and what became of it."""

    sid: str
    to: str
    from_: str
    url: str | None
    method: str
    twiml: str | None
    timeout: float
    status_callback: str | None
    status_callback_events: frozenset[str]
    status_callback_method: str
    machine_detection: str | None
    status: str = "queued"
    ended_by_api: bool = False
    leg: _ApiLeg | None = None

    def resource(self, account_sid: str) -> dict[str, object]:
        """The Call resource as the REST API returns it (the fields Recours and twilio-python read)."""
        return {
            "sid": self.sid,
            "account_sid": account_sid,
            "to": self.to,
            "from": self.from_,
            "status": self.status,
            "direction": "outbound-api",
            "api_version": API_VERSION,
            "answered_by": self.leg.answered_by if self.leg is not None else None,
            "uri": f"/{API_VERSION}/Accounts/{account_sid}/Calls/{self.sid}.json",
        }


class _ApiLeg(_Leg):
    """A leg placed through the REST API: rings ``Timeout`` s, then runs its ``Url``'s TwiML."""

    def __init__(self, spec: _ApiCallSpec, account_sid: str, behaviour: Callee, record: LegRecord):
        params = {
            "CallSid": spec.sid,
            "AccountSid": account_sid,
            "From": spec.from_,
            "To": spec.to,
            "Caller": spec.from_,
            "Called": spec.to,
            "ApiVersion": API_VERSION,
            "Direction": "outbound-api",
        }
        super().__init__(spec.to, params, "queued", "api")
        self.spec = spec
        self.behaviour = behaviour
        self.record = record
        self.answered_by: str | None = None


@dataclass(eq=False)
class _Participant:
    leg: _Leg
    noun: twiml.Conference
    joined_at: float
    admitted: bool = False  # in the started conference, no longer hearing the waitUrl
    left_at: float | None = None


@dataclass(eq=False)
class _Room:
    """A conference in progress: its participants and its status callback (set by the first
    participant whose noun has one; unverified)."""

    name: str
    sid: str
    record: ConferenceRecord
    participants: list[_Participant] = field(default_factory=list)
    started_at: float | None = None
    callback: tuple[str, str, frozenset[str]] | None = None
    sequence: int = 0
    held: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def present(self) -> list[_Participant]:
        return [p for p in self.participants if p.left_at is None]


class _Call:
    def __init__(
        self,
        sim: Simulator,
        *,
        gp: tuple[str, str] | None,
        gp_script: list[GPAction],
        callees: dict[str, Callee],
        default_callee: Callee,
        callback_mode: str,
        dial_action_after_caller_hangup: bool,
        whisper_hangup_dial_status: str,
        record_action_on_silence: bool,
        wait_url_loops: bool,
        rng: random.Random,
    ):
        self.sim = sim
        self.sched = Scheduler(realtime=sim.realtime)
        self.gp_script = iter(gp_script)
        self.callees = callees
        self.default_callee = default_callee
        self.callback_mode = callback_mode
        self.dial_action_after_caller_hangup = dial_action_after_caller_hangup
        self.whisper_hangup_dial_status = whisper_hangup_dial_status
        self.record_action_on_silence = record_action_on_silence
        # unverified: a waitUrl document that runs out of verbs is requested again (the hold music loops).
        self.wait_url_loops = wait_url_loops
        self.rng = rng
        self.gp: _Leg | None = None
        if gp is not None:
            from_, to = gp
            self.gp = _Leg(
                "gp",
                {
                    "CallSid": _sid("CA"),
                    "AccountSid": sim.account_sid,
                    "From": from_,
                    "To": to,
                    "Caller": from_,
                    "Called": to,
                    "ApiVersion": API_VERSION,
                    "Direction": "inbound",
                },
                "ringing",
                "gp",
            )
            self.result = CallResult(call_sid=self.gp.sid, from_=from_, to=to)
        else:
            self.result = CallResult(call_sid="", from_="", to="")
        self.api_legs: list[_ApiLeg] = []
        self.rooms: dict[str, _Room] = {}  # conferences in progress, by name
        self.caller_gone = False
        self.gp_verbs_run = 0  # a <Reject> only rejects as the very first verb
        self.timers: list[Process] = []
        self.fetches = 0  # TwiML requests so far, against max_requests
        self.request_limit_reported = False

    # ------------------------------------------------------------------ running

    @property
    def now(self) -> float:
        return self.sched.now

    def run(self, hang_up_at: float | None) -> CallResult:
        if self.gp is not None:
            self.gp.process = self.sched.spawn(self._gp_main(), "gp")
            self._hang_up_later(MAX_CALL_SECONDS, "Twilio's 4-hour limit")
            if hang_up_at is not None:
                self._hang_up_later(hang_up_at, "hang_up_at")
        self.sched.run()
        if self.gp is None and self.api_legs:
            first = self.api_legs[0]
            self.result.ended_at = max(leg.record.ended_at or 0.0 for leg in self.api_legs)
            self.result.final_status = first.spec.status
        if self.result.ended_at is None:  # a bug in the simulator, not in the app
            raise RuntimeError("simulated call never ended")
        return self.result

    # ------------------------------------------------------------------ REST-placed legs

    def place(self, spec: _ApiCallSpec) -> None:
        """Ring a REST-placed call, starting once the current process yields (it is placed from
        inside a webhook the app is answering)."""
        record = LegRecord(spec.to, spec.sid, self.now, direction="outbound-api")
        self.result.legs.append(record)
        leg = _ApiLeg(spec, self.sim.account_sid, self.callees.get(spec.to, self.default_callee), record)
        spec.leg = leg
        self.api_legs.append(leg)
        if self.gp is None and not self.result.call_sid:
            self.result.call_sid, self.result.from_, self.result.to = spec.sid, spec.from_, spec.to
        self._event("rest-call", f"{spec.to} url={spec.url or '(Twiml)'} timeout={spec.timeout:g}")
        leg.process = self.sched.spawn_soon(self._api_main(leg), f"REST leg {spec.to}")

    def end_by_api(self, leg: _ApiLeg) -> None:
        self._event("rest-ended", f"{leg.name} ({leg.call_status})")
        self.sched.interrupt(leg.process, LegEnded())

    def _api_main(self, leg: _ApiLeg):
        """A REST-placed phone: rings, maybe answers, fetches its Url and runs that TwiML."""
        behaviour, record, spec = leg.behaviour, leg.record, leg.spec
        try:
            yield Sleep(0)  # the process starts here, after the request that placed it
            leg.call_status = spec.status = "initiated"
            self._api_callback(leg, "initiated", "initiated")
            if not behaviour.rings():
                yield Sleep(behaviour.outcome_after() or 0.0)
                self._end_api(leg, behaviour.outcome())
                return
            yield Sleep(self.sim.post_dial_delay)
            leg.call_status = spec.status = "ringing"
            record.ringing_at, record.status = self.now, "ringing"
            self._event("ringing", leg.name)
            self._api_callback(leg, "ringing", "ringing")
            if self.result.first_ring_at is None:
                self.result.first_ring_at = self.now
            deadline = record.started_at + spec.timeout + self.sim.dial_timeout_slack
            answers_after = behaviour.answers_after()
            if answers_after is None or self.now + answers_after >= deadline:
                yield Sleep(deadline - self.now)
                self._end_api(leg, "no-answer")
                return
            yield Sleep(answers_after)
            leg.call_status = spec.status = "in-progress"
            record.answered_at, record.status = self.now, "in-progress"
            extra = {}
            if spec.machine_detection:
                # A hint only: answering machines are told apart from people by what they say.
                leg.answered_by = record.answered_by = behaviour.answered_by()
                extra["AnsweredBy"] = leg.answered_by
            self._event("answered", f"{leg.name} {behaviour!r}")
            self._api_callback(leg, "answered", "in-progress")
            if spec.url is not None:
                document = self._document(leg, "answered", spec.method, urljoin(self.sim.public_base_url + "/", spec.url), extra)
            else:
                outcome = twiml.parse_answer(f"{self.sim.public_base_url}/", 200, "text/xml", spec.twiml or "")
                for warning in outcome.warnings:
                    self._warn(f"{warning} (in the Twiml parameter)")
                if outcome.error is not None:
                    self._error(outcome.error.code, outcome.error.message)
                document = outcome.document
            while True:
                if document is None:
                    yield from self._play(leg, twiml.Say(APPLICATION_ERROR, "en-US", None))
                    break
                outcome = yield from self._run_document(leg, document)
                if isinstance(outcome, _Next):
                    document = outcome.document
                    continue
                break
            self._end_api(leg, "completed")
        except LegEnded:
            self._end_api(leg, "completed" if record.answered_at is not None else "canceled")
        except CalleeHungUp:
            self._end_api(leg, "completed")

    def _api_callback(self, leg: _ApiLeg, event: str, status: str, extra: dict[str, str] | None = None) -> None:
        spec = leg.spec
        if spec.status_callback and event in spec.status_callback_events:
            url = urljoin(self.sim.public_base_url + "/", spec.status_callback)
            self._status_callback(leg, spec.status_callback_method, url, status, extra or {})

    def _end_api(self, leg: _ApiLeg, status: str) -> None:
        record = leg.record
        leg.call_status = leg.spec.status = record.status = status
        record.ended_at = self.now
        record.ended_by_api = leg.spec.ended_by_api
        duration = self.now - record.answered_at if record.answered_at is not None else 0.0
        self._event("leg-ended", f"{leg.name} {status}" + (" (ended through the REST API)" if record.ended_by_api else ""))
        extra = {"CallDuration": str(round(duration))}
        if leg.answered_by:
            extra["AnsweredBy"] = leg.answered_by
        self._api_callback(leg, "completed", status, extra)
        self._flush_callbacks(leg)
        if leg.behaviour.records and record.answered_at is not None:
            self._new_recording(leg.name, record.answered_at, duration, None)

    def _gp_main(self):
        """The GP's leg: fetch the voice URL, then run documents until one ends the call."""
        status = "completed"
        try:
            document = self._gp_document("voice", "POST", self.sim.voice_url, {})
            self.gp.call_status = "in-progress"
            while True:
                if document is None:
                    yield from self._play(self.gp, twiml.Say(APPLICATION_ERROR, "en-US", None))
                    break
                try:
                    outcome = yield from self._run_document(self.gp, document)
                except CallRedirected as redirected:
                    self._event("redirected", f"gp to {redirected.url}")
                    document = self._gp_document("redirect", redirected.method, redirected.url, {})
                    continue
                if isinstance(outcome, _Next):
                    document = outcome.document
                    continue
                if outcome.reason.startswith("reject"):
                    # Twilio: a first-verb <Reject> ends the call unanswered, busy or no-answer.
                    status = "busy" if outcome.reason == "reject-busy" else "no-answer"
                break
        except CallerHungUp:
            pass
        self._end_gp(status)

    def _hang_up_later(self, at: float, why: str) -> None:
        def timer():
            yield Sleep(at - self.now)
            if self.result.ended_at is None and not self.caller_gone:
                self._caller_hangs_up(why)
                self.sched.interrupt(self.gp.process, CallerHungUp())

        self.timers.append(self.sched.spawn(timer(), f"hang-up at {at}"))

    def _caller_hangs_up(self, why: str) -> None:
        self.caller_gone = True
        self.gp.call_status = "completed"
        self._event("gp-hangs-up", why)

    def _end_gp(self, status: str) -> None:
        self.result.ended_at = self.now
        self.result.final_status = status
        self.gp.call_status = status
        self._event("call-ended", status)
        if self.sim.status_callback_url:
            answered = status not in ("busy", "no-answer")
            self._status_callback(
                self.gp,
                "POST",
                self.sim.status_callback_url,
                status,
                {
                    "CallDuration": str(round(self.now) if answered else 0),
                },
            )
            self._flush_callbacks(self.gp)
        for timer in self.timers:
            self.sched.cancel(timer)

    # ------------------------------------------------------------------ requests

    def _send(self, who: _Leg | str, kind: str, method: str, url: str, params: dict[str, str]) -> HttpAnswer:
        """One signed request, recorded in the result whatever its fate."""
        started = time.monotonic()
        over_limit = False
        if kind not in ("status-callback", "conference-callback"):  # callbacks never loop; the app needs them
            self.fetches += 1
            over_limit = self.fetches > self.sim.max_requests
        if over_limit:
            if not self.request_limit_reported:
                self.request_limit_reported = True
                self._error(None, f"more than {self.sim.max_requests} TwiML requests: a TwiML loop?")
            answer = HttpAnswer(599, "", "simulator request limit reached")
        elif not self._reachable(url):
            answer = HttpAnswer(599, "", f"{url} is not under the public base URL {self.sim.public_base_url}")
        elif method == "GET":
            full_url = url + ("&" if "?" in url else "?") + urlencode(list(params.items()))
            headers = self._headers(self.sim.validator.compute_signature(full_url, {}))
            answer = self.sim.transport.request("GET", full_url, {}, headers, self.sim.public_base_url)
        else:
            headers = self._headers(self.sim.validator.compute_signature(url, params))
            answer = self.sim.transport.request("POST", url, params, headers, self.sim.public_base_url)
        seconds = time.monotonic() - started
        if seconds > self.sim.webhook_timeout:
            # Twilio stopped waiting: whatever came later is not used (11200, then the Fallback URL).
            answer = HttpAnswer(599, "", f"no answer within {self.sim.webhook_timeout:g} s (took {seconds:.1f} s)")
        self.result.requests.append(
            RequestRecord(
                self.now,
                kind,
                who if isinstance(who, str) else who.name,
                method,
                url,
                dict(params),
                answer.status,
                answer.content_type,
                answer.body,
                seconds,
            )
        )
        self._event("request", f"{kind} {method} {urlsplit(url).path} -> {answer.status}")
        return answer

    @staticmethod
    def _headers(signature: str) -> dict[str, str]:
        return {"X-Twilio-Signature": signature, "User-Agent": USER_AGENT}

    def _reachable(self, url: str) -> bool:
        # The app is only reachable at its public origin: an action built from the wrong host
        # (http://localhost/...) is a real bug that would fail on Twilio.
        public = urlsplit(self.sim.public_base_url)
        target = urlsplit(url)
        return (target.scheme, target.netloc) == (public.scheme, public.netloc)

    def _load(self, leg: _Leg, kind: str, method: str, url: str, extra: dict[str, str]) -> twiml.Document | twiml.Issue:
        answer = self._send(leg, kind, method, url, leg.webhook_params(extra))
        outcome = twiml.parse_answer(url, answer.status, answer.content_type, answer.body)
        for warning in outcome.warnings:
            self._warn(f"{warning} (in {url})")
        if outcome.error is not None:
            self._error(outcome.error.code, outcome.error.message)
            return outcome.error
        assert outcome.document is not None
        return outcome.document

    def _gp_document(self, kind: str, method: str, url: str, extra: dict[str, str]) -> twiml.Document | None:
        """A document for the GP's leg, through the number's Fallback URL when the first attempt fails."""
        loaded = self._load(self.gp, kind, method, url, extra)
        if isinstance(loaded, twiml.Document):
            return loaded
        if self.sim.fallback_url is None:
            return None
        fallback_params = {**extra, "ErrorCode": str(loaded.code), "ErrorUrl": url}
        fallback = self._load(self.gp, "fallback", "POST", self.sim.fallback_url, fallback_params)
        return fallback if isinstance(fallback, twiml.Document) else None

    def _document(self, leg: _Leg, kind: str, method: str, url: str, extra: dict[str, str]) -> twiml.Document | None:
        if leg.is_gp:
            return self._gp_document(kind, method, url, extra)
        # A whisper leg has no number configuration, hence no Fallback URL.
        loaded = self._load(leg, kind, method, url, extra)
        return loaded if isinstance(loaded, twiml.Document) else None

    # ------------------------------------------------------------------ status callbacks

    def _status_callback(self, leg: _Leg, method: str, url: str, status: str, extra: dict[str, str]) -> None:
        params = leg.webhook_params(
            {
                "CallStatus": status,
                "CallbackSource": "call-progress-events",
                "SequenceNumber": str(leg.sequence),
                "Timestamp": format_datetime(self.sim.start + timedelta(seconds=self.now)),
                **extra,
            }
        )
        leg.sequence += 1
        self._deliver(leg, leg.name, "status-callback", method, url, params)

    def _deliver(self, holder: _Leg | _Room, who: str, kind: str, method: str, url: str, params: dict[str, str]) -> None:
        if self.callback_mode == "in-order":
            self._send(who, kind, method, url, params)
        elif self.callback_mode == "duplicated":
            self._send(who, kind, method, url, params)
            self._send(who, kind, method, url, params)
        else:  # reversed, shuffled: held until the leg (or the conference) ends
            holder.held.append((method, url, params))

    def _flush_callbacks(self, holder: _Leg | _Room) -> None:
        held, holder.held = holder.held, []
        who, kind = (f"conference {holder.name}", "conference-callback") if isinstance(holder, _Room) else (holder.name, "status-callback")
        if self.callback_mode == "reversed":
            held.reverse()
        elif self.callback_mode == "shuffled" and held:
            duplicates = [callback for callback in held if self.rng.random() < 0.5] or [self.rng.choice(held)]
            held += duplicates
            self.rng.shuffle(held)
        for method, url, params in held:
            self._send(who, kind, method, url, params)

    def _child_callback(self, child: _Child, event: str, status: str, extra: dict[str, str] | None = None) -> None:
        number = child.number
        if number.status_callback and event in number.status_callback_events:
            url = urljoin(child.dial.doc_url, number.status_callback)
            self._status_callback(child, number.status_callback_method, url, status, extra or {})

    # ------------------------------------------------------------------ documents and verbs

    def _run_document(self, leg: _Leg, document: twiml.Document):
        for verb in document.verbs:
            if leg.kind == "dialled" and not isinstance(verb, (twiml.Say, twiml.Play, twiml.Pause, twiml.Gather, twiml.Hangup)):
                self._error(None, f"<{type(verb).__name__}> is not allowed in a whisper (Number url) document")
                return _End("error")
            outcome = yield from self._execute(leg, document, verb)
            if outcome is not None:
                return outcome
        return _End("out-of-verbs")

    def _execute(self, leg: _Leg, document: twiml.Document, verb: twiml.Verb):
        first_verb = leg.is_gp and self.gp_verbs_run == 0
        if leg.is_gp:
            self.gp_verbs_run += 1
        if isinstance(verb, (twiml.Say, twiml.Play, twiml.Pause)):
            yield from self._play(leg, verb)
            return None
        if isinstance(verb, twiml.Gather):
            return (yield from self._gather(leg, document, verb))
        if isinstance(verb, twiml.Redirect):
            url = urljoin(document.url, verb.url)
            return _Next(self._document(leg, "redirect", verb.method, url, {}))
        if isinstance(verb, twiml.Dial):
            return (yield from self._dial(leg, document, verb))
        if isinstance(verb, twiml.Record):
            if not leg.is_gp:
                self._error(None, "<Record> on a senior's leg is not simulated")
                return _End("error")
            return (yield from self._record(document, verb))
        if isinstance(verb, twiml.Hangup):
            self._event("hangup-verb", leg.name)
            return _End("hangup")
        if isinstance(verb, twiml.Reject):
            self._event("reject", verb.reason)
            if not first_verb:  # after anything else the call is answered: it just ends
                return _End("hangup")
            self._hear(leg, "[busy tone]" if verb.reason == "busy" else "[number not in service]")
            return _End("reject-busy" if verb.reason == "busy" else "reject")
        self._error(None, f"<{verb.tag}> is valid TwiML but not simulated; skipped")
        return None

    # ------------------------------------------------------------------ hearing

    def _duration(self, item: twiml.Prompt) -> float:
        if isinstance(item, twiml.Say):
            return len(item.text) / self.sim.chars_per_second * item.loop
        if isinstance(item, twiml.Play):
            media = self.sim.fetch_media(item.url)
            return 0.0 if media is None else media.seconds * item.loop
        return item.length

    def _play(self, leg: _Leg, item: twiml.Prompt, limit: float | None = None):
        """Play one Say/Play/Pause to `leg`, for at most `limit` seconds (barge-in)."""
        duration = self._duration(item)
        played = duration if limit is None else max(0.0, min(duration, limit))
        if isinstance(item, twiml.Pause):
            if played > 0:
                yield Sleep(played)
            return
        start = self.now
        if isinstance(item, twiml.Say):
            self._event("say", f"{leg.name}: {item.text[:60]}")
            cut = self._hear(leg, item.text, item)
        else:
            self._event("play", f"{leg.name}: {item.url}")
            cut = self._hear(leg, f"[play {item.url}]")
        try:
            if played > 0:
                yield Sleep(played)
        except BaseException:  # a hang-up (or the conference starting) stops the prompt where it was
            cut(self.now - start)
            raise
        if played < duration:
            cut(played)

    def _hear(self, leg: _Leg, text: str, say: twiml.Say | None = None):
        """Record what `leg` hears now; returns a function that shortens it if it gets cut."""
        at = self.now
        if leg.is_gp:
            heard_index = len(self.result.heard)
            self.result.heard.append((at, text))
        else:
            callee_heard = self.result.callee_heard.setdefault(leg.name, [])
            heard_index = len(callee_heard)
            callee_heard.append(text)
        utterance_index = len(self.result.utterances)
        if say is not None:
            self.result.utterances.append(Utterance(at, leg.name, text, say.language, say.voice))

        def cut(elapsed: float) -> None:
            chars = int(elapsed * self.sim.chars_per_second)
            if text.startswith("[") or chars >= len(text):
                return
            partial = text[:chars].rstrip() + "…"
            if leg.is_gp:
                self.result.heard[heard_index] = (at, partial)
            else:
                self.result.callee_heard[leg.name][heard_index] = partial
            if say is not None:
                self.result.utterances[utterance_index] = Utterance(
                    at,
                    leg.name,
                    partial,
                    say.language,
                    say.voice,
                    cut=True,
                )

        return cut

    def _gp_marker(self, text: str) -> None:
        self.result.heard.append((self.now, text))

    def _marker(self, leg: _Leg, text: str) -> None:
        if leg.is_gp:
            self._gp_marker(text)
        else:
            self.result.callee_heard.setdefault(leg.name, []).append(text)

    # ------------------------------------------------------------------ Gather

    def _gather(self, leg: _Leg, document: twiml.Document, verb: twiml.Gather):
        prompt_seconds = sum(self._duration(item) for item in verb.prompt)
        context = GatherContext(prompt_seconds, verb.dtmf, verb.speech, self.sim.chars_per_second)
        actor = self._next_gp_action() if leg.is_gp else leg.behaviour
        plan = actor.plan_gather(context)
        start = self.now
        window = prompt_seconds + verb.timeout  # input must start within `timeout` after the prompt
        ends_at, cut_at, params, hangs_up = window, None, None, False
        if isinstance(plan, Press) and verb.dtmf and plan.at <= window:
            digits, complete = _collect_digits(plan.digits, verb)
            # Without numDigits or finishOnKey, Twilio waits `timeout` after the last key.
            cut_at, ends_at = plan.at, plan.at if complete else plan.at + verb.timeout
            params = {"Digits": digits} if digits else None
        elif isinstance(plan, Talk) and verb.speech and plan.at <= window:
            end_silence = AUTO_SPEECH_END if verb.speech_timeout is None else verb.speech_timeout
            cut_at, ends_at = plan.at, plan.at + plan.seconds + end_silence
            params = {"SpeechResult": plan.text, "Confidence": str(plan.confidence)}
        elif isinstance(plan, HangUpAt):
            if plan.at <= window:
                cut_at, ends_at, hangs_up = plan.at, plan.at, True
            elif leg.is_gp:
                self._hang_up_later(start + plan.at, "HangUp after the Gather")
        elif plan is not None:
            self._event("input-ignored", f"{leg.name}: {plan} (Gather input={_inputs(verb)}, window {window:.1f} s)")
        self._event("gather", f"{leg.name}: input={_inputs(verb)} timeout={verb.timeout:g} prompt {prompt_seconds:.1f} s")
        if cut_at is not None and cut_at < prompt_seconds and not hangs_up:
            self._event("barge-in", f"{leg.name} at {cut_at:.1f} s into the {prompt_seconds:.1f} s prompt")
        yield from self._play_prompt(leg, verb.prompt, cut_at)
        rest = ends_at - (self.now - start)
        if rest > 0:
            yield Sleep(rest)
        if hangs_up:
            if leg.is_gp:
                self._caller_hangs_up("HangUp during a Gather")
                raise CallerHungUp()
            self._event("callee-hangs-up", f"{leg.name} during the whisper")
            raise CalleeHungUp()
        if params is None:
            self._event("no-input", leg.name)
            if not verb.action_on_empty_result:
                return None  # Twilio goes on to the next verb
            params = {"Digits": ""}
        self._event("input", f"{leg.name}: {params}")
        action = urljoin(document.url, verb.action) if verb.action else document.url
        return _Next(self._document(leg, "action", verb.method, action, params))

    def _play_prompt(self, leg: _Leg, prompt: tuple[twiml.Prompt, ...], cut_at: float | None):
        start = self.now
        for item in prompt:
            limit = None if cut_at is None else cut_at - (self.now - start)
            if limit is not None and limit <= 0:
                break
            yield from self._play(leg, item, limit)

    def _next_gp_action(self) -> GPAction:
        action = next(self.gp_script, Silence())
        self._event("gp-action", repr(action))
        return action

    # ------------------------------------------------------------------ Record

    def _record(self, document: twiml.Document, verb: twiml.Record):
        plan = self._next_gp_action().plan_record(self.sim.chars_per_second)
        start = self.now
        if verb.play_beep:
            self._gp_marker("[beep]")
        self._event("record", f"maxLength={verb.max_length:g} timeout={verb.timeout:g} finishOnKey={verb.finish_on_key}")
        if isinstance(plan, HangUp):
            if plan.after <= verb.timeout:
                yield Sleep(plan.after)
                self._caller_hangs_up("HangUp during a Record")
                raise CallerHungUp()  # guess: nothing recorded, so no action request
            self._hang_up_later(start + plan.after, "HangUp after the Record")
            plan = None
        if plan is None:
            yield Sleep(verb.timeout)
            self._event("record-empty", "no audio before the silence timeout")
            # unverified: Twilio does not request the action when nothing was recorded and goes on
            # to the next verb; `record_action_on_silence=True` simulates the opposite.
            if not self.record_action_on_silence:
                return None
            return _Next(self._record_done(document, verb, start, 0.0, None))
        speaks = min(plan.seconds, verb.max_length)
        try:
            yield Sleep(speaks)
            if speaks >= verb.max_length:
                digits = None
            elif plan.hang_up:
                self._caller_hangs_up("hung up after the message")
                raise CallerHungUp()
            elif plan.digits and plan.digits[0] in verb.finish_on_key:
                digits = plan.digits[0]
            else:
                yield Sleep(verb.timeout)  # the silence timeout ends it (and is trimmed)
                digits = None
        except CallerHungUp:
            # Twilio requests the action with Digits=hangup; the caller is gone, the answer is moot.
            self._record_done(document, verb, start, min(self.now - start, speaks), "hangup")
            raise
        return _Next(self._record_done(document, verb, start, speaks, digits))

    def _record_done(
        self, document: twiml.Document, verb: twiml.Record, start: float, duration: float, digits: str | None
    ) -> twiml.Document | None:
        recording = self._new_recording("gp", start, duration, digits)
        params = {
            "RecordingUrl": recording.url,
            "RecordingSid": recording.sid,
            "RecordingDuration": str(round(duration)),
        }
        if digits is not None:
            params["Digits"] = digits
        action = urljoin(document.url, verb.action) if verb.action else document.url
        if digits == "hangup":
            self._send(self.gp, "action", verb.method, action, self.gp.webhook_params(params))
            return None
        return self._gp_document("action", verb.method, action, params)

    def _new_recording(self, leg: str, start: float, duration: float, digits: str | None) -> Recording:
        sid = _sid("RE")
        url = f"https://api.twilio.com/{API_VERSION}/Accounts/{self.sim.account_sid}/Recordings/{sid}"
        recording = Recording(sid, url, leg, start, duration, digits)
        self.result.recordings.append(recording)
        self.sim.recordings[sid] = recording
        self._event("recording", f"{leg}: {duration:.1f} s")
        return recording

    # ------------------------------------------------------------------ Dial

    def _dial(self, leg: _Leg, document: twiml.Document, verb: twiml.Dial):
        """Ring every Number at once and wait until all their legs have ended (or join a conference)."""
        if verb.conference is not None:
            return (yield from self._conference(leg, document, verb))
        dial = _Dial(leg, verb, document.url, self.now)
        self._event(
            "dial",
            f"{[n.number for n in verb.numbers]} timeout={verb.timeout:g}"
            + (" answerOnBridge" if verb.answer_on_bridge else "")
            + (f" ringTone={verb.ring_tone}" if verb.ring_tone else ""),
        )
        if verb.unsupported_nouns:
            self._error(None, f"<Dial> with {', '.join(verb.unsupported_nouns)} is not supported by the simulator")
        elif not verb.numbers:
            self._error(None, "<Dial> without any number")
        else:
            for number in verb.numbers:
                self._start_child(dial, number)
        try:
            while not dial.finished():
                dial.coordinator_waiting = True
                yield Sleep(None)
                dial.coordinator_waiting = False
        except CallRedirected:
            dial.coordinator_waiting = False
            dial.caller_hung_up = True  # no bridge any more
            for child in dial.children:
                self.sched.interrupt(child.process, LegEnded())
            while not dial.finished():
                yield Sleep(0)
            raise
        except _LEG_GONE:
            dial.coordinator_waiting = False
            dial.caller_hung_up = True
            for child in dial.children:
                self.sched.interrupt(child.process, LegEnded())
            while not dial.finished():  # let the legs send their final callbacks first
                yield Sleep(0)
            params = self._dial_outcome(dial)
            # unverified: whether Twilio requests the Dial action after the caller hung up.
            # Its answer is ignored either way: nobody is left to hear it.
            if verb.action and self.dial_action_after_caller_hangup:
                url = urljoin(document.url, verb.action)
                self._send(leg, "action", verb.method, url, leg.webhook_params(params))
            raise
        return self._dial_done(leg, document, verb, self._dial_outcome(dial))

    def _dial_done(self, leg: _Leg, document: twiml.Document, verb: twiml.Dial, params: dict[str, str]) -> _Next | None:
        if verb.action:
            return _Next(self._document(leg, "action", verb.method, urljoin(document.url, verb.action), params))
        return None  # without an action Twilio goes on to the next verb

    def _start_child(self, dial: _Dial, number: twiml.Number) -> None:
        caller = dial.verb.caller_id or dial.parent.params["From"]
        params = {
            "CallSid": _sid("CA"),
            "AccountSid": self.sim.account_sid,
            "From": caller,
            "To": number.number,
            "Caller": caller,
            "Called": number.number,
            "ApiVersion": API_VERSION,
            "Direction": "outbound-dial",
            "ParentCallSid": dial.parent.sid,
        }
        record = LegRecord(number.number, params["CallSid"], self.now)
        self.result.legs.append(record)
        behaviour = self.callees.get(number.number, self.default_callee)
        child = _Child(params, number, behaviour, dial, record)
        dial.children.append(child)
        child.process = self.sched.spawn(self._child_main(child), f"leg {number.number}")

    def _child_main(self, child: _Child):
        """A dialled phone: rings, maybe answers, hears the whisper, maybe gets bridged and talks."""
        dial, behaviour, record = child.dial, child.behaviour, child.record
        self._child_callback(child, "initiated", "initiated")
        try:
            if not behaviour.rings():
                yield Sleep(behaviour.outcome_after() or 0.0)
                self._end_child(child, behaviour.outcome())
                return
            yield Sleep(self.sim.post_dial_delay)
            self._ringing(child)
            deadline = dial.started_at + dial.verb.timeout + self.sim.dial_timeout_slack
            answers_after = behaviour.answers_after()
            if answers_after is None or self.now + answers_after >= deadline:
                yield Sleep(deadline - self.now)
                self._end_child(child, "no-answer")
                return
            yield Sleep(answers_after)
            self._answered(child)
            if child.number.url and not (yield from self._whisper(child)):
                self._end_child(child, "completed")
                return
            if not self._bridge(child):
                self._end_child(child, "completed")
                return
            yield Sleep(min(behaviour.talk_seconds(), dial.verb.time_limit))
            self._marker(dial.parent, f"[{child.name} hung up]")
            self._end_child(child, "completed")
        except LegEnded:
            self._end_child(child, "completed" if record.answered_at is not None else "canceled")

    def _ringing(self, child: _Child) -> None:
        child.record.ringing_at = self.now
        child.record.status = "ringing"
        self._event("ringing", child.name)
        self._child_callback(child, "ringing", "ringing")
        if self.result.first_ring_at is None:
            self.result.first_ring_at = self.now
        if not child.dial.ringback:
            child.dial.ringback = True
            self._marker(child.dial.parent, "[ringing]")

    def _answered(self, child: _Child) -> None:
        child.record.answered_at = self.now
        child.record.status = "in-progress"
        self._event("answered", f"{child.name} {child.behaviour!r}")
        self._child_callback(child, "answered", "in-progress")  # "answered" arrives as in-progress
        if not child.dial.verb.answer_on_bridge and child.number.url and child.dial.ringback:
            # The ringback stops once a leg answers; answerOnBridge keeps it until the bridge.
            child.dial.ringback = False
            self._marker(child.dial.parent, "[silence]")

    def _whisper(self, child: _Child):
        """Run the Number's url on the callee's leg; True if it ends in a bridge."""
        url = urljoin(child.dial.doc_url, child.number.url)
        document = self._document(child, "whisper", child.number.method, url, {})
        try:
            while True:
                if document is None:
                    yield from self._play(child, twiml.Say(APPLICATION_ERROR, "en-US", None))
                    return False
                outcome = yield from self._run_document(child, document)
                if isinstance(outcome, _Next):
                    document = outcome.document
                    continue
                return outcome.reason == "out-of-verbs"  # <Hangup> or an error: no bridge
        except CalleeHungUp:
            return False

    def _bridge(self, child: _Child) -> bool:
        dial = child.dial
        if dial.bridged is not None or dial.caller_hung_up:
            return False
        dial.bridged = child
        child.record.bridged = True
        if self.result.connected_at is None:
            self.result.connected_at = self.now
            self.result.bridged_to = child.name
        self._event("bridged", child.name)
        self._marker(dial.parent, f"[connected to {child.name}]")
        for other in dial.children:
            if other is not child:
                self.sched.interrupt(other.process, LegEnded())
        return True

    def _end_child(self, child: _Child, status: str) -> None:
        record = child.record
        record.status = status
        record.ended_at = self.now
        duration = self.now - record.answered_at if record.answered_at is not None else 0.0
        self._event("leg-ended", f"{child.name} {status}")
        self._child_callback(child, "completed", status, {"CallDuration": str(round(duration))})
        self._flush_callbacks(child)
        if child.behaviour.records and record.answered_at is not None:
            self._new_recording(child.name, record.answered_at, duration, None)
        if child.dial.coordinator_waiting:
            self.sched.wake(child.dial.parent.process)

    def _dial_outcome(self, dial: _Dial) -> dict[str, str]:
        """The Dial* parameters Twilio posts to the Dial action."""
        bridged = dial.bridged
        if bridged is not None:
            record = bridged.record
            params = {
                "DialCallStatus": "completed",
                "DialCallSid": bridged.sid,
                "DialBridged": "true",
                "DialCallDuration": str(round(record.ended_at - record.answered_at)),
            }
            if dial.verb.record != "do-not-record":
                start = dial.started_at if "ringing" in dial.verb.record else record.answered_at
                recording = self._new_recording("dial", start, record.ended_at - start, None)
                params |= {
                    "RecordingUrl": recording.url,
                    "RecordingSid": recording.sid,
                    "RecordingDuration": str(round(recording.duration)),
                }
        else:
            answered = [child for child in dial.children if child.record.answered_at is not None]
            statuses = {child.record.status for child in dial.children}
            if dial.caller_hung_up:
                status = "canceled"
            elif answered:
                # unverified: what Twilio reports when a leg answered but its whisper hung up.
                status = self.whisper_hangup_dial_status
            elif "no-answer" in statuses:
                status = "no-answer"
            elif "busy" in statuses:
                status = "busy"
            else:
                status = "failed"
            params = {"DialCallStatus": status, "DialBridged": "false"}
            last = (answered or dial.children)[-1:]
            if last:
                params["DialCallSid"] = last[0].sid
        self._event("dial-ended", params["DialCallStatus"])
        return params

    # ------------------------------------------------------------------ Conference

    def _conference(self, leg: _Leg, document: twiml.Document, verb: twiml.Dial):
        """Join the room named by the noun; wait with its waitUrl until it starts, stay until the
        person hangs up or the room ends, then go on with the Dial action (or the next verb)."""
        noun = verb.conference
        assert noun is not None
        room = self.rooms.get(noun.name)
        if room is None:
            record = ConferenceRecord(noun.name, _sid("CF"), self.now)
            self.result.conferences.append(record)
            room = self.rooms[noun.name] = _Room(noun.name, record.sid, record)
        if len(room.present()) >= noun.max_participants:
            self._event("conference-full", f"{leg.name} refused by {noun.name}")
            return self._dial_done(leg, document, verb, {"DialCallStatus": "failed"})
        part = _Participant(leg, noun, self.now)
        room.participants.append(part)
        leg.participant = part
        if room.callback is None and noun.status_callback:
            room.callback = (urljoin(document.url, noun.status_callback), noun.status_callback_method, noun.status_callback_events)
        self._event("conference-join", f"{leg.name} into {noun.name}" + (" (starts it)" if noun.start_on_enter else ""))
        self._room_event(room, "join", part)
        if noun.start_on_enter and room.started_at is None:
            self._start_room(room, part)
        elif room.started_at is not None:
            self._admit(room, part)
        try:
            if not part.admitted:
                with contextlib.suppress(_RoomStarted):
                    yield from self._hold(leg, noun, document.url)
            try:
                yield from self._in_room(leg, verb)
                self._event("conference-time-limit", leg.name)
            except _RoomEnded:
                pass
        except CallRedirected:
            self._leave(room, part, "participant_updated_via_api")
            raise
        except _LEG_GONE as gone:
            self._leave(room, part, "participant_updated_via_api" if isinstance(gone, LegEnded) else "participant_hung_up")
            if verb.action and self.dial_action_after_caller_hangup and leg.is_gp:
                # unverified, as for a Dial of Numbers; nobody is left to hear the answer.
                url = urljoin(document.url, verb.action)
                self._send(leg, "action", verb.method, url, leg.webhook_params({"DialCallStatus": "answered"}))
            raise
        self._leave(room, part, "conference_ended" if part.left_at is not None else "time_limit")
        return self._dial_done(leg, document, verb, {"DialCallStatus": "answered"})

    @staticmethod
    def _silence():
        """Nothing to hear until an exception (the room starting, a hang-up) comes."""
        while True:
            yield Sleep(None)

    def _hold(self, leg: _Leg, noun: twiml.Conference, doc_url: str):
        """What a participant hears until the room starts: Twilio's music, silence, or the waitUrl's
        TwiML (Say, Play, Pause and Redirect only). Returns only by an exception."""
        if noun.wait_url is None:
            self._marker(leg, "[hold music]")
            yield from self._silence()
        if noun.wait_url == "":
            yield from self._silence()
        url = urljoin(doc_url, noun.wait_url)
        document = self._wait_document(leg, noun.wait_method, url)
        while True:
            began = self.now
            if document is None:
                yield from self._silence()  # nothing could be fetched: silence until the room starts
            redirected: twiml.Document | None = None
            redirect = False
            for wait_verb in document.verbs:
                if isinstance(wait_verb, (twiml.Say, twiml.Play, twiml.Pause)):
                    yield from self._play(leg, wait_verb)
                    continue
                if isinstance(wait_verb, twiml.Redirect):
                    redirect = True
                    redirected = self._wait_document(leg, wait_verb.method, urljoin(document.url, wait_verb.url))
                    break
                self._error(
                    twiml.ERR_WAIT_VERB,
                    f"<{type(wait_verb).__name__}> is not allowed in a waitUrl document (only Say, Play, Pause, Redirect)",
                )
                yield from self._silence()
            if redirect:
                document = redirected
                continue
            if not self.wait_url_loops or self.now == began:
                if self.now == began:
                    self._warn(f"the waitUrl document from {document.url} plays nothing: silence until the conference starts")
                yield from self._silence()
            document = self._wait_document(leg, noun.wait_method, url)

    def _wait_document(self, leg: _Leg, method: str, url: str) -> twiml.Document | None:
        loaded = self._load(leg, "wait", method, url, {})  # no Fallback URL for hold music
        return loaded if isinstance(loaded, twiml.Document) else None

    def _in_room(self, leg: _Leg, verb: twiml.Dial):
        """In a started conference: the GP stays until they hang up (or the room ends); a senior
        talks for their behaviour's time, then hangs up."""
        if leg.is_gp:
            yield Sleep(verb.time_limit)
            return
        talk = leg.behaviour.talk_seconds()
        if talk >= verb.time_limit:
            yield Sleep(verb.time_limit)
            return
        yield Sleep(talk)
        self._event("callee-hangs-up", f"{leg.name} in the conference")
        raise CalleeHungUp()

    def _start_room(self, room: _Room, starter: _Participant) -> None:
        room.started_at = room.record.started_at = self.now
        self._event("conference-start", f"{room.name} by {starter.leg.name}")
        self._room_event(room, "start")
        for part in room.present():
            if part is starter:
                self._admit(room, part)
            else:
                part.admitted = True
                self.sched.interrupt(part.leg.process, _RoomStarted())
        self._note_connection(room)

    def _admit(self, room: _Room, part: _Participant) -> None:
        part.admitted = True
        if part.noun.beep in ("true", "onEnter"):
            for other in room.present():
                if other is not part and other.admitted:
                    self._marker(other.leg, "[beep]")
        self._note_connection(room)

    def _note_connection(self, room: _Room) -> None:
        """The GP reaches a person when a started room holds them and a senior's leg."""
        inside = [p for p in room.present() if p.admitted]
        gp = next((p for p in inside if p.leg.is_gp), None)
        other = next((p for p in inside if not p.leg.is_gp), None)
        if gp is None or other is None or self.result.connected_at is not None:
            return
        self.result.connected_at, self.result.bridged_to = self.now, other.leg.name
        if isinstance(other.leg, _ApiLeg):
            other.leg.record.bridged = True
        self._event("bridged", f"{other.leg.name} (conference {room.name})")
        self._gp_marker(f"[connected to {other.leg.name}]")

    def _leave(self, room: _Room, part: _Participant, reason: str) -> None:
        if part.left_at is not None:
            return
        part.left_at = self.now
        part.leg.participant = None
        self._event("conference-leave", f"{part.leg.name} from {room.name}: {reason}")
        self._room_event(room, "leave", part, reason)
        if room.started_at is not None and part.noun.beep in ("true", "onExit"):
            for other in room.present():
                if other.admitted:
                    self._marker(other.leg, "[beep]")
        if part.noun.end_on_exit:
            self._end_room(room, "participant-with-end-conference-on-exit-left", part.leg.sid)
        elif not room.present():
            self._end_room(room, "last-participant-left", part.leg.sid)

    def _end_room(self, room: _Room, reason: str, ending_sid: str) -> None:
        if self.rooms.get(room.name) is not room:
            return
        del self.rooms[room.name]  # the name may be used again: a new conference
        for part in room.present():
            part.left_at = self.now
            part.leg.participant = None
            self._event("conference-leave", f"{part.leg.name} from {room.name}: conference ended")
            self._room_event(room, "leave", part, "conference_ended")
            self.sched.interrupt(part.leg.process, _RoomEnded())
        room.record.ended_at = self.now
        self._event("conference-end", f"{room.name}: {reason}")
        self._room_event(room, "end", reason=reason, ending_sid=ending_sid)
        self._flush_callbacks(room)

    def _room_event(
        self, room: _Room, event: str, part: _Participant | None = None, reason: str | None = None, ending_sid: str | None = None
    ) -> None:
        name = f"{'conference' if event in ('start', 'end') else 'participant'}-{event}"
        room.record.events.append((self.now, name, part.leg.name if part is not None else ""))
        if room.callback is None:
            return
        url, method, events = room.callback
        if event not in events:
            return
        params = {
            "AccountSid": self.sim.account_sid,
            "ConferenceSid": room.sid,
            "FriendlyName": room.name,
            "StatusCallbackEvent": name,
            "Timestamp": format_datetime(self.sim.start + timedelta(seconds=self.now)),
            "SequenceNumber": str(room.sequence),
        }
        room.sequence += 1
        if part is not None:
            params |= {
                "CallSid": part.leg.sid,
                "Muted": str(part.noun.muted).lower(),
                "Hold": "false",
                "Coaching": "false",
                "EndConferenceOnExit": str(part.noun.end_on_exit).lower(),
                "StartConferenceOnEnter": str(part.noun.start_on_enter).lower(),
            }
        if event == "leave":
            params |= {"ReasonParticipantLeft": reason or "", "ParticipantCallStatus": part.leg.call_status if part else ""}
        if event == "end":
            params |= {"ReasonConferenceEnded": reason or "", "CallSidEndingConference": ending_sid or ""}
        self._deliver(room, f"conference {room.name}", "conference-callback", method, url, params)

    # ------------------------------------------------------------------ bookkeeping

    def _event(self, kind: str, detail: str) -> None:
        self.result.events.append((self.now, kind, detail))

    def _error(self, code: int | None, message: str) -> None:
        self.result.errors.append(SimIssue(self.now, code, message))
        self._event("error", f"{code or ''} {message}".strip())

    def _warn(self, message: str) -> None:
        self.result.warnings.append(SimIssue(self.now, None, message))


def _collect_digits(pressed: str, verb: twiml.Gather) -> tuple[str, bool]:
    """The Digits Twilio reports for keys pressed at once, and whether they end the Gather."""
    digits = ""
    for key in pressed:
        if key in verb.finish_on_key:
            return digits, True  # the finishOnKey itself is not reported
        digits += key
        if verb.num_digits and len(digits) >= verb.num_digits:
            return digits, True
    return digits, False


def _inputs(verb: twiml.Gather) -> str:
    return " ".join(name for name, on in (("dtmf", verb.dtmf), ("speech", verb.speech)) if on)
