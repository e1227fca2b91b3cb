"""What this process itself recorded about the calls in progress: the screening keys pressed, the legs
that answered, the calls that ended. A hint the flow may use between webhooks without reading the
database (a senior's "1" reaches the Dial action handled by the same worker); never the only source:
the URL state, Twilio's own parameters (``DialBridged``, ``CallStatus``) and the database come first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from calllog import events as ev

CAPACITY = 5000  # calls remembered per process (a few hours of a busy hotline)
ENDED = {"completed", "busy", "no-answer", "failed", "canceled"}


@dataclass
class Memory:
    accepted: set[int] = field(default_factory=set)
    declined: set[int] = field(default_factory=set)
    deferred: dict[int, int] = field(default_factory=dict)  # rank → minutes promised
    answered: dict[int, datetime] = field(default_factory=dict)
    ended_at: datetime | None = None


# The kinds of fact remembered; a webhook that decided none of them (the greeting, the menu, a Dial)
# leaves no trace here: the memory of 5,000 calls stays a few hundred kB in each worker.
_REMEMBERED = (ev.AttemptAccepted, ev.AttemptDeclined, ev.AttemptDeferred, ev.AttemptAnswered, ev.CallFinished)


class _Noted:
    """What is kept of one call; its containers made on first use (most calls only end here)."""

    __slots__ = ("accepted", "answered", "declined", "deferred", "ended_at")

    def __init__(self) -> None:
        self.accepted: set[int] | None = None
        self.declined: set[int] | None = None
        self.deferred: dict[int, int] | None = None
        self.answered: dict[int, datetime] | None = None
        self.ended_at: datetime | None = None

    def answered_at(self, rank: int, at: datetime) -> None:
        if self.answered is None:
            self.answered = {}
        self.answered.setdefault(rank, at)


class RecentCalls:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._calls: OrderedDict[str, _Noted] = OrderedDict()
        self._lock = threading.Lock()

    def _memory(self, sid: str) -> _Noted:
        memory = self._calls.get(sid)
        if memory is None:
            memory = self._calls[sid] = _Noted()
            while len(self._calls) > self.capacity:
                self._calls.popitem(last=False)
        else:
            self._calls.move_to_end(sid)
        return memory

    def note(self, sid: str, events: Iterable[ev.LogEvent], at: datetime) -> None:
        events = [event for event in events if isinstance(event, _REMEMBERED)]
        if not events:
            return
        with self._lock:
            memory = self._memory(sid)
            for event in events:
                match event:
                    case ev.AttemptAccepted(rank):
                        memory.accepted = (memory.accepted or set()) | {rank}
                        memory.answered_at(rank, at)
                    case ev.AttemptDeclined(rank):
                        memory.declined = (memory.declined or set()) | {rank}
                    case ev.AttemptDeferred(rank, minutes):
                        memory.deferred = {**(memory.deferred or {}), rank: minutes}
                        memory.answered_at(rank, at)
                    case ev.AttemptAnswered(rank):
                        memory.answered_at(rank, at)
                    case ev.CallFinished():
                        memory.ended_at = memory.ended_at or at

    def note_status(self, sid: str, status: str, at: datetime) -> None:
        """A status callback of the GP's own call (not a senior's leg)."""
        if status in ENDED:
            with self._lock:
                memory = self._memory(sid)
                memory.ended_at = memory.ended_at or at

    def get(self, sid: str) -> Memory | None:
        with self._lock:
            memory = self._calls.get(sid)
            if memory is None:
                return None
            accepted, declined = set(memory.accepted or ()), set(memory.declined or ())
            return Memory(accepted, declined, dict(memory.deferred or {}), dict(memory.answered or {}), memory.ended_at)


def recent_of(app) -> RecentCalls:
    """The application's memory in this process (one per app, so two apps in one process — two
    instances in a test — know only what each recorded itself)."""
    return app.extensions.setdefault("recours.recent_calls", RecentCalls())
