"""What the call flow decided, as facts for the call log to record.

The IVR returns these alongside its TwiML instead of writing to the database itself, so the decisions
stay plain functions and the log has a single writer (:func:`calllog.operations.apply`).
"""

from __future__ import annotations

from dataclasses import dataclass

from calllog.models import AttemptResult
from rota.queries import HuntEntry


@dataclass(frozen=True)
class LanguageChosen:
    language: str


@dataclass(frozen=True)
class MenuFailed:
    """No input, or an input that matched nothing. ``failures`` counts this one: replayed from the
    journal, the fact sets the count instead of adding to it."""

    failures: int | None = None


@dataclass(frozen=True)
class SpecialtyChosen:
    specialty_id: int
    hunt: tuple[HuntEntry, ...]


@dataclass(frozen=True)
class AttemptDialled:
    rank: int
    entry: HuntEntry


@dataclass(frozen=True)
class AttemptAnswered:
    """The senior's leg picked up and is hearing the announcement (a person or a voicemail)."""

    rank: int


@dataclass(frozen=True)
class AttemptAccepted:
    rank: int


@dataclass(frozen=True)
class AttemptDeclined:
    rank: int


@dataclass(frozen=True)
class AttemptDeferred:
    """The senior pressed the defer key: they will call the GP back within ``minutes``."""

    rank: int
    minutes: int


@dataclass(frozen=True)
class LegPlaced:
    """Staged ringing: the senior's leg was created through Twilio's REST API with this CallSid."""

    rank: int
    sid: str


@dataclass(frozen=True)
class AttemptCancelled:
    """Staged ringing: Recours ended this leg because another senior took the call first."""

    rank: int


@dataclass(frozen=True)
class AttemptEnded:
    rank: int
    result: AttemptResult


@dataclass(frozen=True)
class TransferredToSwitchboard:
    pass


@dataclass(frozen=True)
class CallbackRequested:
    pass


@dataclass(frozen=True)
class RecordingReceived:
    url: str | None
    sid: str | None
    seconds: int | None


@dataclass(frozen=True)
class CallFinished:
    """The flow itself ended the call (a final Hangup); the status callback may follow or not."""


LogEvent = (
    LanguageChosen
    | MenuFailed
    | SpecialtyChosen
    | AttemptDialled
    | AttemptAnswered
    | AttemptAccepted
    | AttemptDeclined
    | AttemptDeferred
    | LegPlaced
    | AttemptCancelled
    | AttemptEnded
    | TransferredToSwitchboard
    | CallbackRequested
    | RecordingReceived
    | CallFinished
)
