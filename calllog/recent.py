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


class RecentCalls:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._calls: OrderedDict[str, Memory] = OrderedDict()
        self._lock = threading.Lock()

    def _memory(self, sid: str) -> Memory:
        memory = self._calls.get(sid)
        if memory is None:
            memory = self._calls[sid] = Memory()
            while len(self._calls) > self.capacity:
                self._calls.popitem(last=False)
        else:
            self._calls.move_to_end(sid)
        return memory

    def note(self, sid: str, events: Iterable[ev.LogEvent], at: datetime) -> None:
        with self._lock:
            memory = self._memory(sid)
            for event in events:
                match event:
                    case ev.AttemptAccepted(rank):
                        memory.accepted.add(rank)
                        memory.answered.setdefault(rank, at)
                    case ev.AttemptDeclined(rank):
                        memory.declined.add(rank)
                    case ev.AttemptDeferred(rank, minutes):
                        memory.deferred[rank] = minutes
                        memory.answered.setdefault(rank, at)
                    case ev.AttemptAnswered(rank):
                        memory.answered.setdefault(rank, at)
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
            return Memory(set(memory.accepted), set(memory.declined), dict(memory.deferred), dict(memory.answered), memory.ended_at)


def recent_of(app) -> RecentCalls:
    """The application's memory in this process (one per app, so two apps in one process — two
    instances in a test — know only what each recorded itself)."""
    return app.extensions.setdefault("recours.recent_calls", RecentCalls())
