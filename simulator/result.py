"""What a simulated call leaves behind: what each person heard, every request, and a timeline.

Everything is stamped with virtual seconds since the GP's call was answered (t=0 is the first
webhook). Scenario tests assert on these fields; `transcript()` is for humans and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Utterance:
    """A ``<Say>`` as played on one leg, with what a test may want to check (language, voice)."""

    t: float
    leg: str  # "gp" or the callee's number
    text: str
    language: str | None
    voice: str | None
    cut: bool = False  # barge-in or hang-up stopped it before its end


@dataclass(frozen=True)
class RequestRecord:
    """One request the simulated Twilio sent, and the app's answer."""

    t: float
    kind: str  # voice, action, redirect, fallback, whisper, status-callback
    leg: str
    method: str
    url: str
    params: dict[str, str]
    status: int
    content_type: str
    body: str
    # Real (wall-clock) seconds the app took to answer: the virtual clock does not move meanwhile.
    seconds: float = 0.0


@dataclass(frozen=True)
class Recording:
    sid: str
    url: str
    leg: str
    started_at: float
    duration: float
    digits: str | None  # the key that ended it, "hangup", or None (silence timeout / leg end)


@dataclass(frozen=True)
class SimIssue:
    t: float
    code: int | None  # Twilio error code; None for problems only the simulator reports
    message: str

    def __str__(self) -> str:
        code = f"{self.code} " if self.code is not None else ""
        return f"t={self.t:.1f}s {code}{self.message}"


@dataclass
class LegRecord:
    """One senior's phone: a dialled Number (a child leg, ``outbound-dial``) or a call the app placed
    through the REST API (``outbound-api``)."""

    number: str
    sid: str
    started_at: float
    ringing_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    status: str = "initiated"
    bridged: bool = False
    direction: str = "outbound-dial"
    answered_by: str | None = None  # answering-machine detection's guess, when asked for
    ended_by_api: bool = False  # canceled or completed by a REST request of the app


@dataclass
class ConferenceRecord:
    """One conference room from its first participant to its end."""

    name: str
    sid: str
    opened_at: float
    started_at: float | None = None
    ended_at: float | None = None
    # (t, "participant-join" | "participant-leave" | "conference-start" | "conference-end", leg)
    events: list[tuple[float, str, str]] = field(default_factory=list)

    def joined(self) -> list[str]:
        return [leg for _, event, leg in self.events if event == "participant-join"]


@dataclass(frozen=True)
class SmsRecord:
    """An SMS the app sent through the REST API (``POST …/Messages.json``)."""

    t: float  # virtual seconds into the run it was sent in (0 between runs)
    at: datetime
    sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None


@dataclass
class CallResult:
    call_sid: str
    from_: str
    to: str
    heard: list[tuple[float, str]] = field(default_factory=list)
    utterances: list[Utterance] = field(default_factory=list)
    events: list[tuple[float, str, str]] = field(default_factory=list)
    requests: list[RequestRecord] = field(default_factory=list)
    first_ring_at: float | None = None
    connected_at: float | None = None
    bridged_to: str | None = None
    ended_at: float | None = None
    final_status: str | None = None
    recordings: list[Recording] = field(default_factory=list)
    errors: list[SimIssue] = field(default_factory=list)
    warnings: list[SimIssue] = field(default_factory=list)
    callee_heard: dict[str, list[str]] = field(default_factory=dict)
    legs: list[LegRecord] = field(default_factory=list)
    conferences: list[ConferenceRecord] = field(default_factory=list)
    sms: list[SmsRecord] = field(default_factory=list)

    # ------------------------------------------------------------------ conveniences for tests

    @property
    def error_codes(self) -> list[int | None]:
        return [error.code for error in self.errors]

    @property
    def heard_text(self) -> str:
        """Everything the GP heard, one line each (handy for ``"..." in result.heard_text``)."""
        return "\n".join(text for _, text in self.heard)

    def leg(self, number: str) -> LegRecord:
        """The one leg to `number` (fails when there are none or several)."""
        [found] = [leg for leg in self.legs if leg.number == number]
        return found

    def sms_to(self, number: str) -> list[str]:
        return [sms.body for sms in self.sms if sms.to == number]

    def requests_to(self, path: str, kind: str | None = None) -> list[RequestRecord]:
        """Requests whose URL path (before the query) ends with `path`."""
        return [r for r in self.requests if r.url.split("?", 1)[0].endswith(path) and (kind is None or r.kind == kind)]

    @property
    def status_callbacks(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.kind == "status-callback"]

    # ------------------------------------------------------------------ for humans

    def transcript(self) -> str:
        lines = [f"Call {self.call_sid} from {self.from_} to {self.to}", "", "What the GP heard:"]
        lines += [f"  {t:7.1f}s  {text}" for t, text in self.heard] or ["  (nothing)"]
        for number, texts in self.callee_heard.items():
            lines += ["", f"What {number} heard:"] + [f"  {text}" for text in texts]
        lines += ["", "Timeline:"]
        lines += [f"  {t:7.1f}s  {kind:<16} {detail}" for t, kind, detail in self.events]
        lines += ["", "Summary:"]
        if self.first_ring_at is None:
            lines.append("  no senior phone rang")
        else:
            lines.append(f"  first senior ringing after {self.first_ring_at:.1f} s")
        if self.connected_at is None:
            lines.append("  never connected")
        else:
            lines.append(f"  connected after {self.connected_at:.1f} s to {self.bridged_to}")
        if self.ended_at is not None:
            lines.append(f"  call ended after {self.ended_at:.1f} s ({self.final_status})")
        for conference in self.conferences:
            started = "never started" if conference.started_at is None else f"started at {conference.started_at:.1f} s"
            ended = "" if conference.ended_at is None else f", ended at {conference.ended_at:.1f} s"
            lines.append(f"  conference {conference.name}: {started}{ended}; joined by {', '.join(conference.joined()) or 'nobody'}")
        for sms in self.sms:
            lines.append(f"  SMS to {sms.to} at {sms.t:.1f} s: {sms.body}")
        for recording in self.recordings:
            lines.append(
                f"  recording {recording.sid} on {recording.leg}: {recording.duration:.1f} s"
                f" (ended by {recording.digits or 'timeout/leg end'})"
            )
        lines += [f"  ERROR {error}" for error in self.errors]
        lines += [f"  warning {warning}" for warning in self.warnings]
        return "\n".join(lines)
