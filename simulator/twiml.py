"""Reading a webhook answer the way Twilio does: HTTP checks, XML parsing, TwiML validation.

The result is a `Document` of small typed verb nodes with Twilio's defaults already applied, so
the engine never looks at raw attributes. Whatever Twilio would refuse becomes an `Issue` with
Twilio's error code (the whole document is then rejected, as Twilio does before executing it);
whatever Twilio merely tolerates (unknown attributes, a Python list written as an attribute by
twilio-python) becomes a warning string.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

MAX_BODY_BYTES = 64 * 1024
XML_CONTENT_TYPES = ("text/xml", "application/xml")

ERR_RETRIEVAL = 11200
ERR_TOO_BIG = 11750
ERR_PARSE = 12100
ERR_CONTENT_TYPE = 12300
ERR_GATHER_NESTED = 13320


@dataclass(frozen=True)
class Issue:
    """A Twilio error (``code``) or a simulator-detected problem (``code`` None)."""

    code: int | None
    message: str


# --------------------------------------------------------------------------- verb nodes


@dataclass(frozen=True)
class Say:
    text: str
    language: str | None
    voice: str | None
    loop: int = 1


@dataclass(frozen=True)
class Play:
    url: str
    loop: int = 1


@dataclass(frozen=True)
class Pause:
    length: float = 1.0


Prompt = Say | Play | Pause


@dataclass(frozen=True)
class Gather:
    action: str | None  # None: the current document URL
    method: str
    timeout: float
    num_digits: int | None
    finish_on_key: str
    dtmf: bool
    speech: bool
    language: str | None
    hints: str | None
    action_on_empty_result: bool
    speech_timeout: float | None  # None: "auto"
    prompt: tuple[Prompt, ...] = ()


@dataclass(frozen=True)
class Redirect:
    url: str
    method: str


@dataclass(frozen=True)
class Number:
    number: str
    url: str | None
    method: str
    status_callback: str | None
    status_callback_events: frozenset[str]
    status_callback_method: str


@dataclass(frozen=True)
class Conference:
    """A ``<Conference>`` noun: the room's name and how this participant enters and leaves it."""

    name: str
    start_on_enter: bool
    end_on_exit: bool
    wait_url: str | None  # None: Twilio's default hold music; "": silence
    wait_method: str
    beep: str  # "true", "false", "onEnter", "onExit"
    status_callback: str | None
    status_callback_events: frozenset[str]
    status_callback_method: str
    max_participants: int
    muted: bool


@dataclass(frozen=True)
class Dial:
    action: str | None
    method: str
    timeout: float
    caller_id: str | None
    answer_on_bridge: bool
    ring_tone: str | None
    record: str
    hangup_on_star: bool
    time_limit: float
    numbers: tuple[Number, ...]
    unsupported_nouns: tuple[str, ...] = ()
    conference: Conference | None = None


@dataclass(frozen=True)
class Record:
    action: str | None
    method: str
    max_length: float
    timeout: float
    finish_on_key: str
    play_beep: bool


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Reject:
    reason: str


@dataclass(frozen=True)
class Unsupported:
    """A valid TwiML verb the simulator does not model (Enqueue, Connect, Pay...)."""

    tag: str


Verb = Say | Play | Pause | Gather | Redirect | Dial | Record | Hangup | Reject | Unsupported


@dataclass
class Document:
    """One fetched TwiML document: the URL it came from (base of relative URLs, default action)."""

    url: str
    verbs: list[Verb] = field(default_factory=list)


@dataclass
class ParseOutcome:
    document: Document | None
    error: Issue | None
    warnings: list[str]


# --------------------------------------------------------------------------- HTTP + XML checks


def parse_answer(url: str, status: int, content_type: str, body: str) -> ParseOutcome:
    """Check an HTTP answer as Twilio does and turn it into a `Document`.

    A 204 is an empty document (the call goes on to nothing and ends). Everything else must be a
    2xx XML document of at most 64 kB whose root is ``<Response>``.
    """
    warnings: list[str] = []
    if status == 204:
        return ParseOutcome(Document(url), None, warnings)
    if not 200 <= status < 300:
        return _fail(ERR_RETRIEVAL, f"HTTP {status} from {url}")
    mime = content_type.split(";")[0].strip().lower()
    if mime not in XML_CONTENT_TYPES:
        return _fail(ERR_CONTENT_TYPE, f"Content-Type {content_type!r} from {url} is not text/xml")
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        return _fail(ERR_TOO_BIG, f"document from {url} exceeds 64 kB")
    if not body.strip():
        # Twilio logs a 502 Bad Gateway for a 200 without a body.
        return _fail(ERR_RETRIEVAL, f"empty body from {url} (answer <Response/> or 204)")
    if body != body.lstrip() and body.lstrip().startswith("<?xml"):
        return _fail(ERR_PARSE, f"whitespace before <?xml in the document from {url}")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        return _fail(ERR_PARSE, f"XML parse error in the document from {url}: {exc}")
    if root.tag != "Response":
        return _fail(ERR_PARSE, f"root element is <{root.tag}>, not <Response>, in {url}")
    try:
        verbs = [verb for child in root if (verb := _verb(child, warnings)) is not None]
    except _Rejected as rejected:
        return ParseOutcome(None, rejected.issue, warnings)
    return ParseOutcome(Document(url, verbs), None, warnings)


def _fail(code: int, message: str) -> ParseOutcome:
    return ParseOutcome(None, Issue(code, message), [])


class _Rejected(Exception):
    def __init__(self, issue: Issue):
        super().__init__(issue.message)
        self.issue = issue


# --------------------------------------------------------------------------- attributes

# Attributes Twilio accepts on each element, whether or not the simulator acts on them: anything
# else is a warning (Twilio ignores it), which catches misspelt twilio-python keyword arguments.
_KNOWN = {
    "Say": {"voice", "language", "loop"},
    "Play": {"loop", "digits"},
    "Pause": {"length"},
    "Gather": {
        "action",
        "method",
        "timeout",
        "numDigits",
        "finishOnKey",
        "input",
        "language",
        "hints",
        "actionOnEmptyResult",
        "speechTimeout",
        "speechModel",
        "profanityFilter",
        "bargeIn",
        "partialResultCallback",
        "partialResultCallbackMethod",
        "enhanced",
        "debug",
        "maxSpeechTime",
    },
    "Redirect": {"method"},
    "Dial": {
        "action",
        "method",
        "timeout",
        "callerId",
        "answerOnBridge",
        "ringTone",
        "record",
        "recordingStatusCallback",
        "recordingStatusCallbackMethod",
        "recordingStatusCallbackEvent",
        "recordingTrack",
        "trim",
        "hangupOnStar",
        "timeLimit",
        "sequential",
        "referUrl",
        "referMethod",
        "events",
    },
    "Number": {
        "url",
        "method",
        "statusCallback",
        "statusCallbackEvent",
        "statusCallbackMethod",
        "sendDigits",
        "machineDetection",
        "amdStatusCallback",
        "amdStatusCallbackMethod",
        "byoc",
        "machineDetectionTimeout",
    },
    "Conference": {
        "startConferenceOnEnter",
        "endConferenceOnExit",
        "waitUrl",
        "waitMethod",
        "beep",
        "statusCallback",
        "statusCallbackEvent",
        "statusCallbackMethod",
        "maxParticipants",
        "muted",
        "record",
        "region",
        "trim",
        "coach",
        "jitterBufferSize",
        "participantLabel",
        "eventCallbackUrl",
        "recordingStatusCallback",
        "recordingStatusCallbackMethod",
        "recordingStatusCallbackEvent",
    },
    "Record": {
        "action",
        "method",
        "timeout",
        "maxLength",
        "finishOnKey",
        "playBeep",
        "transcribe",
        "transcribeCallback",
        "trim",
        "recordingStatusCallback",
        "recordingStatusCallbackMethod",
        "recordingStatusCallbackEvent",
        "recordingChannels",
        "storageUrl",
        "storageUrlMethod",
    },
    "Hangup": set(),
    "Reject": {"reason"},
}
_UNSUPPORTED_VERBS = {
    "Enqueue",
    "Leave",
    "Connect",
    "Pay",
    "Prompt",
    "Refer",
    "Start",
    "Stop",
    "Sms",
    "Message",
    "Queue",
}
_LIST_REPR = re.compile(r"^\s*\[.*['\"].*\]\s*$")
_CALL_PROGRESS_EVENTS = {"initiated", "ringing", "answered", "completed"}
CONFERENCE_EVENTS = {"start", "end", "join", "leave", "mute", "hold", "modify", "speaker", "announcement"}
# Verbs a waitUrl (hold) document may hold; anything else is error 13238.
WAIT_VERBS = (Say, Play, Pause, Redirect)
ERR_WAIT_VERB = 13238
MAX_CONFERENCE_PARTICIPANTS = 250


class _Attrs:
    """Typed reads of one element's attributes with Twilio's defaults, collecting warnings."""

    def __init__(self, elem: ET.Element, warnings: list[str]):
        self.elem = elem
        self.tag = elem.tag
        self.warnings = warnings
        for name, value in elem.attrib.items():
            if name not in _KNOWN.get(elem.tag, set()):
                warnings.append(f"<{elem.tag}>: unknown attribute {name}={value!r} (Twilio ignores it)")
            if _LIST_REPR.match(value):
                warnings.append(f"<{elem.tag}>: {name}={value!r} looks like a Python list repr; TwiML wants a space-separated string")

    def _warn(self, name: str, value: str, expected: str) -> None:
        self.warnings.append(f"<{self.tag}>: {name}={value!r} is not {expected}; default used")

    def text(self, name: str, default: str | None = None) -> str | None:
        return self.elem.get(name, default)

    def number(self, name: str, default: float, low: float | None = None, high: float | None = None) -> float:
        raw = self.elem.get(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            self._warn(name, raw, "a number")
            return default
        if low is not None and value < low:
            return low
        if high is not None and value > high:
            return high
        return value

    def integer(self, name: str) -> int | None:
        raw = self.elem.get(name)
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            self._warn(name, raw, "an integer")
            return None

    def flag(self, name: str, default: bool) -> bool:
        raw = self.elem.get(name)
        if raw is None:
            return default
        if raw.lower() not in ("true", "false"):
            self._warn(name, raw, '"true" or "false"')
            return default
        return raw.lower() == "true"

    def method(self, name: str = "method") -> str:
        raw = self.elem.get(name, "POST")
        if raw.upper() not in ("GET", "POST"):
            self._warn(name, raw, "GET or POST")
            return "POST"
        return raw.upper()

    def tokens(self, name: str, allowed: set[str], default: set[str]) -> frozenset[str]:
        raw = self.elem.get(name)
        if raw is None:
            return frozenset(default)
        words = raw.split()
        bad = [word for word in words if word not in allowed]
        if bad:
            self._warn(name, raw, f"space-separated words among {sorted(allowed)}")
        good = {word for word in words if word in allowed}
        return frozenset(good or default)


def _spoken_text(elem: ET.Element) -> str:
    # SSML children (<say-as>, <break>, <prosody>...) are spoken too.
    return " ".join("".join(elem.itertext()).split())


def _loop(attrs: _Attrs) -> int:
    loop = int(attrs.number("loop", 1))
    if loop == 0:
        attrs.warnings.append(f"<{attrs.tag}> loop=0 (repeat until hang-up) is simulated as 10 loops")
        return 10
    return max(loop, 1)


# --------------------------------------------------------------------------- verbs


def _prompt(elem: ET.Element, warnings: list[str]) -> Prompt:
    attrs = _Attrs(elem, warnings)
    if elem.tag == "Say":
        return Say(_spoken_text(elem), attrs.text("language"), attrs.text("voice"), _loop(attrs))
    if elem.tag == "Play":
        return Play((elem.text or "").strip(), _loop(attrs))
    return Pause(attrs.number("length", 1.0, low=0.0))


def _verb(elem: ET.Element, warnings: list[str]) -> Verb | None:
    tag = elem.tag
    if tag in ("Say", "Play", "Pause"):
        return _prompt(elem, warnings)
    if tag == "Gather":
        return _gather(elem, warnings)
    if tag == "Redirect":
        attrs = _Attrs(elem, warnings)
        return Redirect((elem.text or "").strip(), attrs.method())
    if tag == "Dial":
        return _dial(elem, warnings)
    if tag == "Record":
        attrs = _Attrs(elem, warnings)
        return Record(
            action=attrs.text("action"),
            method=attrs.method(),
            max_length=attrs.number("maxLength", 3600.0, low=1.0),
            timeout=attrs.number("timeout", 5.0, low=0.0),
            finish_on_key=attrs.text("finishOnKey", "1234567890*#") or "",
            play_beep=attrs.flag("playBeep", True),
        )
    if tag == "Hangup":
        _Attrs(elem, warnings)
        return Hangup()
    if tag == "Reject":
        attrs = _Attrs(elem, warnings)
        return Reject(attrs.text("reason", "rejected") or "rejected")
    if tag in _UNSUPPORTED_VERBS:
        return Unsupported(tag)
    warnings.append(f"<{tag}> is not a TwiML verb; Twilio skips it")
    return None


def _gather(elem: ET.Element, warnings: list[str]) -> Gather:
    attrs = _Attrs(elem, warnings)
    prompt: list[Prompt] = []
    for child in elem:
        if child.tag not in ("Say", "Play", "Pause"):
            raise _Rejected(Issue(ERR_GATHER_NESTED, f"<{child.tag}> cannot be nested in <Gather>"))
        prompt.append(_prompt(child, warnings))
    inputs = attrs.tokens("input", {"dtmf", "speech"}, {"dtmf"})
    timeout = attrs.number("timeout", 5.0, low=0.0)
    raw_speech_timeout = attrs.text("speechTimeout")
    if raw_speech_timeout is None:
        speech_timeout: float | None = timeout  # Twilio uses `timeout` when speechTimeout is unset
    elif raw_speech_timeout == "auto":
        speech_timeout = None
    else:
        speech_timeout = attrs.number("speechTimeout", timeout, low=0.0)
    return Gather(
        action=attrs.text("action"),
        method=attrs.method(),
        timeout=timeout,
        num_digits=attrs.integer("numDigits"),
        finish_on_key=attrs.text("finishOnKey", "#") or "",
        dtmf="dtmf" in inputs,
        speech="speech" in inputs,
        language=attrs.text("language"),
        hints=attrs.text("hints"),
        action_on_empty_result=attrs.flag("actionOnEmptyResult", False),
        speech_timeout=speech_timeout,
        prompt=tuple(prompt),
    )


def _dial(elem: ET.Element, warnings: list[str]) -> Dial:
    attrs = _Attrs(elem, warnings)
    numbers: list[Number] = []
    unsupported: list[str] = []
    conference: Conference | None = None
    for child in elem:
        if child.tag == "Number":
            numbers.append(_number(child, warnings))
        elif child.tag == "Conference" and conference is None:
            conference = _conference(child, warnings)
        else:
            unsupported.append(child.tag)
    if conference is not None and numbers:
        raise _Rejected(Issue(ERR_PARSE, "<Dial> cannot hold both <Conference> and <Number>"))
    body = (elem.text or "").strip()
    if body and not numbers and not unsupported and conference is None:
        numbers.append(Number(body, None, "POST", None, frozenset(), "POST"))
    if len(numbers) > 10:
        warnings.append(f"<Dial> has {len(numbers)} <Number>s; Twilio rings at most 10")
        numbers = numbers[:10]
    return Dial(
        action=attrs.text("action"),
        method=attrs.method(),
        timeout=attrs.number("timeout", 30.0, low=5.0, high=600.0),
        caller_id=attrs.text("callerId"),
        answer_on_bridge=attrs.flag("answerOnBridge", False),
        ring_tone=attrs.text("ringTone"),
        record=attrs.text("record", "do-not-record") or "do-not-record",
        hangup_on_star=attrs.flag("hangupOnStar", False),
        time_limit=attrs.number("timeLimit", 14400.0, low=1.0),
        numbers=tuple(numbers),
        unsupported_nouns=tuple(unsupported),
        conference=conference,
    )


def _conference(elem: ET.Element, warnings: list[str]) -> Conference:
    attrs = _Attrs(elem, warnings)
    name = (elem.text or "").strip()
    if not name:
        raise _Rejected(Issue(ERR_PARSE, "<Conference> without a room name"))
    wait_url = attrs.text("waitUrl")
    beep = attrs.text("beep", "true") or "true"
    if beep not in ("true", "false", "onEnter", "onExit"):
        attrs._warn("beep", beep, "true, false, onEnter or onExit")
        beep = "true"
    return Conference(
        name=name,
        start_on_enter=attrs.flag("startConferenceOnEnter", True),
        end_on_exit=attrs.flag("endConferenceOnExit", False),
        wait_url=wait_url,
        # Twilio: POST for a waitUrl of yours, GET for its own default hold music.
        wait_method=attrs.method("waitMethod") if wait_url else "GET",
        beep=beep,
        status_callback=attrs.text("statusCallback"),
        # Twilio's default with a statusCallback and no events: start and end only (unverified).
        status_callback_events=attrs.tokens("statusCallbackEvent", CONFERENCE_EVENTS, {"start", "end"}),
        status_callback_method=attrs.method("statusCallbackMethod"),
        max_participants=int(attrs.number("maxParticipants", MAX_CONFERENCE_PARTICIPANTS, low=2, high=MAX_CONFERENCE_PARTICIPANTS)),
        muted=attrs.flag("muted", False),
    )


def _number(elem: ET.Element, warnings: list[str]) -> Number:
    attrs = _Attrs(elem, warnings)
    return Number(
        number=(elem.text or "").strip(),
        url=attrs.text("url"),
        method=attrs.method(),
        status_callback=attrs.text("statusCallback"),
        # Twilio's default when only statusCallback is given: just the final event.
        status_callback_events=attrs.tokens("statusCallbackEvent", _CALL_PROGRESS_EVENTS, {"completed"}),
        status_callback_method=attrs.method("statusCallbackMethod"),
    )
