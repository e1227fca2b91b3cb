"""A virtual clock running cooperative processes (generators), so a call takes no real time.

A call is several things happening at once: the GP's leg, up to ten ringing phones each with its
own whisper, status callbacks, and a GP who may hang up at any moment. Each is a generator that
``yield``s a `Sleep`; the `Scheduler` resumes them in virtual-time order (FIFO at equal times, so
runs are deterministic). Another process can `wake` a sleeper early or `interrupt` it by throwing
an exception at its ``yield`` — how a hang-up or a cancelled leg stops whatever was going on.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Generator

    ProcessBody = Generator["Sleep", Any, Any]


@dataclass(frozen=True)
class Sleep:
    """Suspend for `seconds` of virtual time; ``None`` means until woken or interrupted."""

    seconds: float | None


class Process:
    def __init__(self, body: ProcessBody, name: str):
        self.body = body
        self.name = name
        self.done = False
        # Exceptions on their way to this process, delivered one per resumption in the order they
        # were sent: a hang-up is never lost to a leg that ended at the same instant.
        self.throws: deque[BaseException] = deque()
        self.started = False  # a generator that never ran cannot take an exception
        # Bumped whenever the process is rescheduled: queue entries carrying an older value are
        # stale (e.g. the end of a sleep that an interrupt already cut short).
        self.generation = 0

    def __repr__(self) -> str:
        return f"<Process {self.name}{' done' if self.done else ''}>"


class Scheduler:
    """``realtime``: each step waits for its instant on the wall clock (virtual second *t* happens *t*
    seconds after the run started), for a simulated call to a running server, whose own clock stamps the
    webhooks: a virtual clock racing ahead would put the first ring after the connection in its log."""

    def __init__(self, realtime: bool = False) -> None:
        self.realtime = realtime
        self._wall_start: float | None = None
        self.now = 0.0
        self._queue: list[tuple[float, int, Process, int, str, Any]] = []
        self._order = itertools.count()

    def spawn_soon(self, body: ProcessBody, name: str) -> Process:
        """Start a process once the current one yields: for what happens *because of* a request the
        current process is making (a REST call placed while the app answers a webhook), which must not
        run inside that request."""
        process = Process(body, name)
        self._schedule(process, 0.0, "send", None)
        return process

    def spawn(self, body: ProcessBody, name: str) -> Process:
        """Start a process now: it runs until its first ``yield`` before `spawn` returns, so it can
        always be interrupted afterwards (throwing into an unstarted generator would skip its
        clean-up)."""
        process = Process(body, name)
        self._step(process, "send", None)
        return process

    def wake(self, process: Process, value: Any = None) -> None:
        """Resume a sleeping process now (after the current one yields); its ``yield`` returns `value`."""
        if not process.done and not process.throws:
            self._schedule(process, 0.0, "send", value)

    def interrupt(self, process: Process, exc: BaseException) -> None:
        """Raise `exc` at the process's current ``yield`` (now, after the current one yields). Several
        exceptions sent at once arrive one after the other, each at the next ``yield``."""
        if process.done:
            return
        process.throws.append(exc)
        if len(process.throws) == 1 and process.started:
            self._schedule(process, 0.0, "throw", None)

    def cancel(self, process: Process) -> None:
        """Stop a process silently (no exception reaches its code)."""
        if not process.done:
            process.done = True
            process.generation += 1
            process.body.close()

    def run(self) -> None:
        if self.realtime and self._wall_start is None:
            self._wall_start = time.monotonic() - self.now
        while self._queue:
            at, _, process, generation, how, value = heapq.heappop(self._queue)
            if process.done or generation != process.generation:
                continue
            if self.realtime and self._wall_start is not None:
                # Never earlier than its instant; a slow answer from the server makes the rest late, as it
                # would make a real call (the virtual clock then lags the wall clock, never leads it).
                delay = self._wall_start + at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            self.now = at
            if how == "throw":
                value = process.throws.popleft()
            self._step(process, how, value)
            if process.throws and not process.done:
                self._schedule(process, 0.0, "throw", None)

    def _schedule(self, process: Process, delay: float, how: str, value: Any) -> None:
        process.generation += 1
        # Rounded to the microsecond so that 4.1 + 2.3 is 6.4 in every timeline.
        entry = (round(self.now + delay, 6), next(self._order), process, process.generation, how, value)
        heapq.heappush(self._queue, entry)

    def _step(self, process: Process, how: str, value: Any) -> None:
        process.started = True
        try:
            command = process.body.send(value) if how == "send" else process.body.throw(value)
        except StopIteration:
            process.done = True
            return
        if not isinstance(command, Sleep):
            raise TypeError(f"{process.name} yielded {command!r}, expected Sleep")
        if command.seconds is None:
            process.generation += 1  # nothing queued: only wake() or interrupt() resumes it
        else:
            self._schedule(process, max(command.seconds, 0.0), "send", None)
