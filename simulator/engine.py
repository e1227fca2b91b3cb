"""The simulated Twilio: runs one call through the app's webhooks on a virtual clock.

`Simulator` holds what is configured on the Twilio number (URLs, token) and places calls; each call
is a `_Call`, which runs a process per leg on the `Scheduler`: the GP's leg interprets TwiML
documents verb by verb, a ``<Dial>`` spawns one process per ``<Number>`` (ringing, answer, whisper,
bridge, talk) and waits for them, and hang-ups arrive as exceptions thrown into whatever a leg was
doing. Every request is signed exactly as Twilio signs it. Where Twilio's behaviour is not
verified, the choice is a switch of `Simulator.call`, marked ``# unverified``.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urlencode, urljoin, urlsplit

from twilio.request_validator import RequestValidator

from . import twiml
from .actors import Callee, GatherContext, GPAction, HangUp, HangUpAt, NoAnswer, Press, Silence, Talk
from .clock import Process, Scheduler, Sleep
from .result import CallResult, LegRecord, Recording, RequestRecord, SimIssue, Utterance
from .transport import USER_AGENT, HttpAnswer, Transport

API_VERSION = "2010-04-01"
DEFAULT_START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)  # a Monday morning
APPLICATION_ERROR = "We are sorry, an application error has occurred. Goodbye."
PLAY_SECONDS = 3.0  # length assumed for any <Play>
AUTO_SPEECH_END = 1.0  # guess: silence after which speechTimeout="auto" ends the utterance
MAX_CALL_SECONDS = 4 * 3600  # Twilio's limit on a call's length
CALLBACK_MODES = ("in-order", "duplicated", "reversed", "shuffled")
DIAL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")


class CallerHungUp(Exception):
    """Thrown into the GP's leg when the GP hangs up, wherever the call is."""


class LegEnded(Exception):
    """Thrown into a dialled leg that Twilio ends: another leg was bridged, or the GP hung up."""


class CalleeHungUp(Exception):
    """The dialled person hangs up while the whisper plays."""


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
    ):
        if not auth_token:
            raise ValueError("an auth token is needed: Twilio signs every request")
        if start.tzinfo is None:
            raise ValueError("start must be an aware datetime (UTC)")
        self.transport = transport
        self.public_base_url = public_base_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
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
        self._running: _Call | None = None

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
        seed: int = 0,
    ) -> CallResult:
        """Place one call from the GP `from_` to the number `to` and return what happened.

        `gp` is consumed one action per Gather/Record the GP meets (silence once exhausted);
        `callees` says how each dialled number behaves (`default_callee` otherwise, no answer by
        default); `hang_up_at` is an absolute virtual second at which the GP hangs up.
        `status_callbacks` chooses how callbacks are delivered: "in-order", "duplicated",
        "reversed" or "shuffled" (seeded by `seed`). The other switches choose among Twilio
        behaviours nobody verified (see their use in `_Call`).
        """
        if status_callbacks not in CALLBACK_MODES:
            raise ValueError(f"status_callbacks must be one of {CALLBACK_MODES}")
        if whisper_hangup_dial_status not in DIAL_STATUSES:
            raise ValueError(f"whisper_hangup_dial_status must be one of {DIAL_STATUSES}")
        call = _Call(
            self,
            from_=from_,
            to=to,
            gp_script=list(gp),
            callees=dict(callees or {}),
            default_callee=default_callee or NoAnswer(),
            callback_mode=status_callbacks,
            dial_action_after_caller_hangup=dial_action_after_caller_hangup,
            whisper_hangup_dial_status=whisper_hangup_dial_status,
            record_action_on_silence=record_action_on_silence,
            rng=random.Random(seed),
        )
        self._running = call
        try:
            return call.run(hang_up_at)
        finally:
            self._running = None


def _sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


class _Leg:
    """One call leg as Twilio sees it: its identity in webhooks, its status, its pending callbacks."""

    def __init__(self, name: str, params: dict[str, str], call_status: str):
        self.name = name  # "gp" or the dialled number
        self.params = params  # the standard parameters, CallStatus excepted
        self.call_status = call_status
        self.sequence = 0  # next SequenceNumber of its status callbacks
        self.held: list[tuple[str, str, dict[str, str]]] = []  # callbacks awaiting delivery
        self.process: Process | None = None

    @property
    def sid(self) -> str:
        return self.params["CallSid"]

    @property
    def is_gp(self) -> bool:
        return self.name == "gp"

    def webhook_params(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {**self.params, "CallStatus": self.call_status, **(extra or {})}


class _Dial:
    """One ``<Dial>`` in progress on the GP's leg."""

    def __init__(self, verb: twiml.Dial, doc_url: str, started_at: float):
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
        super().__init__(number.number, params, "in-progress")
        self.number = number
        self.behaviour = behaviour
        self.dial = dial
        self.record = record


class _Call:
    def __init__(
        self,
        sim: Simulator,
        *,
        from_: str,
        to: str,
        gp_script: list[GPAction],
        callees: dict[str, Callee],
        default_callee: Callee,
        callback_mode: str,
        dial_action_after_caller_hangup: bool,
        whisper_hangup_dial_status: str,
        record_action_on_silence: bool,
        rng: random.Random,
    ):
        self.sim = sim
        self.sched = Scheduler()
        self.gp_script = iter(gp_script)
        self.callees = callees
        self.default_callee = default_callee
        self.callback_mode = callback_mode
        self.dial_action_after_caller_hangup = dial_action_after_caller_hangup
        self.whisper_hangup_dial_status = whisper_hangup_dial_status
        self.record_action_on_silence = record_action_on_silence
        self.rng = rng
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
        )
        self.result = CallResult(call_sid=self.gp.sid, from_=from_, to=to)
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
        self.gp.process = self.sched.spawn(self._gp_main(), "gp")
        self._hang_up_later(MAX_CALL_SECONDS, "Twilio's 4-hour limit")
        if hang_up_at is not None:
            self._hang_up_later(hang_up_at, "hang_up_at")
        self.sched.run()
        if self.result.ended_at is None:  # a bug in the simulator, not in the app
            raise RuntimeError("simulated call never ended")
        return self.result

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
                outcome = yield from self._run_document(self.gp, document)
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

    def _send(self, leg: _Leg, kind: str, method: str, url: str, params: dict[str, str]) -> HttpAnswer:
        """One signed request, recorded in the result whatever its fate."""
        over_limit = False
        if kind != "status-callback":  # callbacks never loop; the app needs them to close the call
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
        self.result.requests.append(
            RequestRecord(
                self.now,
                kind,
                leg.name,
                method,
                url,
                dict(params),
                answer.status,
                answer.content_type,
                answer.body,
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
        if self.callback_mode == "in-order":
            self._send(leg, "status-callback", method, url, params)
        elif self.callback_mode == "duplicated":
            self._send(leg, "status-callback", method, url, params)
            self._send(leg, "status-callback", method, url, params)
        else:  # reversed, shuffled: held until the leg ends
            leg.held.append((method, url, params))

    def _flush_callbacks(self, leg: _Leg) -> None:
        held, leg.held = leg.held, []
        if self.callback_mode == "reversed":
            held.reverse()
        elif self.callback_mode == "shuffled" and held:
            duplicates = [callback for callback in held if self.rng.random() < 0.5] or [self.rng.choice(held)]
            held += duplicates
            self.rng.shuffle(held)
        for method, url, params in held:
            self._send(leg, "status-callback", method, url, params)

    def _child_callback(self, child: _Child, event: str, status: str, extra: dict[str, str] | None = None) -> None:
        number = child.number
        if number.status_callback and event in number.status_callback_events:
            url = urljoin(child.dial.doc_url, number.status_callback)
            self._status_callback(child, number.status_callback_method, url, status, extra or {})

    # ------------------------------------------------------------------ documents and verbs

    def _run_document(self, leg: _Leg, document: twiml.Document):
        for verb in document.verbs:
            if not leg.is_gp and not isinstance(verb, (twiml.Say, twiml.Play, twiml.Pause, twiml.Gather, twiml.Hangup)):
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
            return _Next(self._gp_document("redirect", verb.method, url, {}))
        if isinstance(verb, twiml.Dial):
            return (yield from self._dial(document, verb))
        if isinstance(verb, twiml.Record):
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
            return PLAY_SECONDS * item.loop
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
        except (CallerHungUp, LegEnded):  # a hang-up stops the prompt where it was
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
        self._event("recording", f"{leg}: {duration:.1f} s")
        return recording

    # ------------------------------------------------------------------ Dial

    def _dial(self, document: twiml.Document, verb: twiml.Dial):
        """Ring every Number at once and wait until all their legs have ended."""
        dial = _Dial(verb, document.url, self.now)
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
        except CallerHungUp:
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
                self._send(self.gp, "action", verb.method, url, self.gp.webhook_params(params))
            raise
        params = self._dial_outcome(dial)
        if verb.action:
            return _Next(self._gp_document("action", verb.method, urljoin(document.url, verb.action), params))
        return None  # without an action Twilio goes on to the next verb

    def _start_child(self, dial: _Dial, number: twiml.Number) -> None:
        caller = dial.verb.caller_id or self.gp.params["From"]
        params = {
            "CallSid": _sid("CA"),
            "AccountSid": self.sim.account_sid,
            "From": caller,
            "To": number.number,
            "Caller": caller,
            "Called": number.number,
            "ApiVersion": API_VERSION,
            "Direction": "outbound-dial",
            "ParentCallSid": self.gp.sid,
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
            self._gp_marker(f"[{child.name} hung up]")
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
            self._gp_marker("[ringing]")

    def _answered(self, child: _Child) -> None:
        child.record.answered_at = self.now
        child.record.status = "in-progress"
        self._event("answered", f"{child.name} {child.behaviour!r}")
        self._child_callback(child, "answered", "in-progress")  # "answered" arrives as in-progress
        if not child.dial.verb.answer_on_bridge and child.number.url and child.dial.ringback:
            # The ringback stops once a leg answers; answerOnBridge keeps it until the bridge.
            child.dial.ringback = False
            self._gp_marker("[silence]")

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
        self._gp_marker(f"[connected to {child.name}]")
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
            self.sched.wake(self.gp.process)

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
