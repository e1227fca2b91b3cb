"""The people on the phones: what the GP does, and how each dialled specialist's phone behaves.

Both are plain declarative values. The engine asks them one question whenever a leg meets a
``<Gather>`` or a ``<Record>``: "what input do you give here?", and gets back an *input plan*
(`Press`, `Talk`, `HangUpAt` or ``None`` for no input) with times relative to the start of that verb.
Keeping the actors free of timing mechanics means a scenario reads like a description of people.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# How long after the end of a prompt a person who waited for the whole menu reacts.
REACTION_SECONDS = 1.0


# --------------------------------------------------------------------------- input plans


@dataclass(frozen=True)
class Press:
    """Keys pressed `at` seconds after the verb started (all at that instant)."""

    at: float
    digits: str


@dataclass(frozen=True)
class Talk:
    """Speech starting `at` seconds after the verb started, lasting `seconds`."""

    at: float
    text: str
    seconds: float
    confidence: float = 0.9


@dataclass(frozen=True)
class HangUpAt:
    """The person hangs up `at` seconds after the verb started."""

    at: float


InputPlan = Press | Talk | HangUpAt | None


@dataclass(frozen=True)
class GatherContext:
    """What a person can perceive of a ``<Gather>``: how long its prompt lasts and what it listens for."""

    prompt_seconds: float
    accepts_dtmf: bool
    accepts_speech: bool
    chars_per_second: float


# --------------------------------------------------------------------------- GP actions


@dataclass(frozen=True)
class Key:
    """The GP presses `digits` `after` seconds into the Gather.

    ``after=None`` means "listens to the whole prompt, then reacts a second later" — the robust
    choice for scenario tests that should not break when a prompt is reworded. A time before the
    end of the prompt is a barge-in: the prompt is cut there.
    """

    digits: str
    after: float | None = None

    def plan_gather(self, ctx: GatherContext) -> InputPlan:
        return Press(_at(self.after, ctx.prompt_seconds), self.digits)

    def plan_record(self, chars_per_second: float) -> Message:
        # A key at a Record: the GP talked until then and ended the message with that key.
        return Message(seconds=REACTION_SECONDS if self.after is None else self.after, digits=self.digits)


@dataclass(frozen=True)
class Speech:
    """The GP says `text` (only heard if the Gather's ``input`` includes speech)."""

    text: str
    after: float | None = None
    confidence: float = 0.9

    def plan_gather(self, ctx: GatherContext) -> InputPlan:
        seconds = len(self.text) / ctx.chars_per_second
        return Talk(_at(self.after, ctx.prompt_seconds), self.text, seconds, self.confidence)

    def plan_record(self, chars_per_second: float) -> Message:
        # Speech at a Record is a short message that the silence timeout ends.
        return Message(seconds=len(self.text) / chars_per_second, digits="")


@dataclass(frozen=True)
class Silence:
    """The GP gives no input at this Gather (or says nothing at this Record)."""

    def plan_gather(self, ctx: GatherContext) -> InputPlan:
        return None

    def plan_record(self, chars_per_second: float) -> Message | None:
        return None


@dataclass(frozen=True)
class HangUp:
    """The GP hangs up `after` seconds into this Gather or Record (immediately by default)."""

    after: float = 0.0

    def plan_gather(self, ctx: GatherContext) -> InputPlan:
        return HangUpAt(self.after)

    def plan_record(self, chars_per_second: float) -> HangUp:
        return self


@dataclass(frozen=True)
class Message:
    """At a ``<Record>``: the GP speaks for `seconds`, then presses `digits` (``""``: just stops
    talking, the silence timeout ends the recording), or hangs up if `hang_up`."""

    seconds: float = 10.0
    digits: str = "#"
    hang_up: bool = False

    def plan_gather(self, ctx: GatherContext) -> InputPlan:
        return None  # talking at a dtmf menu without a recogniser is no input

    def plan_record(self, chars_per_second: float) -> Message:
        return self


GPAction = Key | Speech | Silence | HangUp | Message


def _at(after: float | None, prompt_seconds: float) -> float:
    return prompt_seconds + REACTION_SECONDS if after is None else after


# --------------------------------------------------------------------------- callee behaviours


@dataclass(frozen=True)
class Callee:
    """Base of the behaviours of a dialled phone.

    `answers_after` is the ringing time before pick-up (``None``: never picks up); `outcome` is
    the final status when it never answers (``no-answer`` at the Dial timeout, ``busy``,
    ``failed``) and `outcome_after` when that status comes for busy/failed lines.
    """

    amd: str | None = field(default=None, kw_only=True)

    def answers_after(self) -> float | None:
        return None

    def outcome(self) -> str:
        return "no-answer"

    def outcome_after(self) -> float | None:
        return None  # no-answer: the Dial timeout decides

    def rings(self) -> bool:
        return True

    def plan_gather(self, ctx: GatherContext) -> InputPlan:
        return None

    def talk_seconds(self) -> float:
        """How long this phone stays on once bridged, before hanging up."""
        return 0.0

    @property
    def records(self) -> bool:
        return False

    def answered_by(self) -> str:
        """What answering-machine detection reports when this phone picks up (a guess Twilio makes:
        ``amd`` forces another one, to test that Recours treats it as a hint)."""
        return self.amd or ("machine_start" if self.records else "human")


@dataclass(frozen=True)
class Accepts(Callee):
    """Answers after `after` s of ringing, listens to the whisper, presses `key` when the Gather's
    prompt ends (or `key_after` s into it), then talks `talk` s once bridged and hangs up."""

    after: float = 3.0
    talk: float = 60.0
    key: str = "1"
    key_after: float | None = None

    def answers_after(self) -> float | None:
        return self.after

    def plan_gather(self, ctx: GatherContext) -> InputPlan:
        return Press(ctx.prompt_seconds if self.key_after is None else self.key_after, self.key)

    def talk_seconds(self) -> float:
        return self.talk


@dataclass(frozen=True)
class Declines(Accepts):
    """Answers and presses another key (the "I can't take it" choice of the screening menu)."""

    key: str = "2"
    talk: float = 0.0


@dataclass(frozen=True)
class Defers(Accepts):
    """Answers and presses the "I will call back" key of Recours's screening menu (3)."""

    key: str = "3"
    talk: float = 0.0


@dataclass(frozen=True)
class AnswersWithoutKey(Callee):
    """Answers, listens, and hangs up without a key when the whisper's Gather prompt ends."""

    after: float = 3.0

    def answers_after(self) -> float | None:
        return self.after

    def plan_gather(self, ctx: GatherContext) -> InputPlan:
        return HangUpAt(ctx.prompt_seconds)


@dataclass(frozen=True)
class NoAnswer(Callee):
    """Rings until the Dial timeout."""


@dataclass(frozen=True)
class Busy(Callee):
    """The line is busy: the leg ends `after` s after dialling, without ringing."""

    after: float = 1.0

    def outcome(self) -> str:
        return "busy"

    def outcome_after(self) -> float | None:
        return self.after

    def rings(self) -> bool:
        return False


@dataclass(frozen=True)
class Fails(Callee):
    """The call cannot be placed (unreachable number, carrier error)."""

    after: float = 0.5

    def outcome(self) -> str:
        return "failed"

    def outcome_after(self) -> float | None:
        return self.after

    def rings(self) -> bool:
        return False


@dataclass(frozen=True)
class Voicemail(Callee):
    """A voicemail picks up after `after` s: it plays its own `greeting` (heard by nobody on the
    Twilio side), never presses a key, and records whatever comes until the leg ends — at most
    `max_message` s once bridged. To Twilio this is an answered call."""

    after: float = 15.0
    greeting: float = 20.0
    max_message: float = 120.0

    def answers_after(self) -> float | None:
        return self.after

    def talk_seconds(self) -> float:
        return self.max_message

    @property
    def records(self) -> bool:
        return True
