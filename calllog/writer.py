"""The writer that drains the local journal into the database, off the request path.

One daemon thread per process and application wakes on every append (and every second), applies the
journal's facts in batches, one transaction a batch, through :func:`calllog.facts.apply_fact`, and moves
each file's ``.done`` offset. It also drains the files of processes that are gone (a SIGKILLed worker,
an instance restarted), so after an outage or a crash the log is completed by whichever instance sees
the file first.

- The database does not answer: nothing moves, the thread tries again a second later.
- A fact about a senior's leg (or a status callback) whose call is not in the log yet waits: the call's
  own facts are on their way from another webhook, maybe from another instance's journal. After
  :data:`WAIT_LIMIT` seconds it is applied anyway (what the webhook would have done without a journal).
- A fact written in the request (always, or with write-behind the facts the next webhook reads back)
  never overtakes the facts this process journaled before it: :meth:`JournalWriter.catch_up` first
  applies them on the request's thread, within its deadline (closing a call whose attempts' results
  were still in the journal would mark them "caller hung up" for good; an attempt dialled during an
  outage would land on a call already closed).
- A fact the database refuses on its own (the database answering ``SELECT 1`` meanwhile) is moved to
  ``<file>.rejected`` for the operator and logged: it never blocks the facts after it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from sqlalchemy import exc, text

from calllog.facts import Fact, apply_fact, apply_together, together, waits_for_call
from calllog.journal import Entry, Journal, done_offset, journal_directory, mark_done, read_entries, remove_drained
from core import deadline
from core.db import READS_ONLY, Database

log = logging.getLogger(__name__)

BATCH = 200
WAIT_LIMIT = 600.0  # seconds a fact waits for its call before being applied as it is
IDLE_WAKE = 1.0
# A request catches up with at most this much of its process's journal (some 200 facts); a bigger
# backlog (after an outage) is the writer's: the request's fact joins it instead of waiting for it.
CATCH_UP_BYTES = 64 * 1024


@dataclass
class DrainReport:
    applied: int = 0
    waiting: int = 0
    rejected: int = 0
    database_down: bool = False
    files: list[str] = field(default_factory=list)


class JournalWriter:
    """Drains one application's journal. :meth:`drain` may be called from any thread (tests, the CLI)."""

    def __init__(self, database: Database, journal: Journal, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.database = database
        self.journal = journal
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        # (file, offset) → when first seen waiting for its call; and facts applied past a file's .done
        # offset (kept there because an older fact still waits), not to apply them again each pass.
        self._waiting_since: dict[tuple[Path, int], float] = {}
        self._applied_past_done: set[tuple[Path, int]] = set()
        # file → offset up to which every fact has had its turn (applied, refused, or waiting for its call)
        self._processed: dict[Path, int] = {}
        self.last_error: str | None = None

    # -- the thread ---------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="calllog-journal-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.journal.appended.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self.journal.appended.wait(IDLE_WAKE)
            self.journal.appended.clear()
            if self._stop.is_set():
                return
            try:
                self.drain()
            except Exception:  # the thread must outlive any failure; logged
                log.exception("journal writer failed; trying again")
                self._stop.wait(IDLE_WAKE)

    # -- draining -----------------------------------------------------------------------------------

    def drain(self) -> DrainReport:
        """Apply every fact of the journal the database does not hold yet; returns what happened."""
        report = DrainReport()
        with self._lock:
            files = self.journal.files()
            self._processed = {path: end for path, end in self._processed.items() if path in files}
            for path in files:
                if report.database_down:
                    break
                if path == self.journal.own_path:
                    self._drain_file(path, report, orphan=False)
                    continue
                handle = self.journal.claim_orphan(path)
                if handle is None:
                    continue
                try:
                    self._drain_file(path, report, orphan=True)
                finally:
                    handle.close()
        return report

    def catch_up(self) -> bool:
        """Apply, on the calling thread, every fact this process journaled so far, within the caller's
        deadline (a webhook's budget): a fact written in the request after this cannot overtake them.
        True once they all had their turn (a fact waiting for its call, maybe on another instance, had
        it); False when the database did not take them in time, failed a moment ago (its breaker is
        open), or when they are more than a request should write (:data:`CATCH_UP_BYTES`) — then the
        caller journals its fact too, behind them."""
        written = self.journal.written()
        if written is None or self._has_processed(*written):
            return True
        path, end = written
        if end - self._processed_upto(path) > CATCH_UP_BYTES:
            return False
        # As a webhook's session: while the database's breaker is open, no wait; after its cool-down,
        # one request probes (its success closes the breaker, its failure opens it again).
        if not self.database.breaker.allows(self.database.budget.seconds):
            return False
        left = deadline.remaining()
        if not self._lock.acquire(timeout=-1 if left is None else max(left, 0.0)):
            return False
        try:
            if self._has_processed(*written):
                return True
            report = DrainReport()
            self._drain_file(path, report, orphan=False)
            return not report.database_down and self._has_processed(*written)
        except Exception:
            log.exception("journal writer could not catch up for a request")
            return False
        finally:
            self._lock.release()

    def behind(self) -> bool:
        """Whether some fact this process journaled has not had its turn yet."""
        written = self.journal.written()
        return written is not None and not self._has_processed(*written)

    def _has_processed(self, path: Path, end: int) -> bool:
        return self._processed_upto(path) >= end

    def _processed_upto(self, path: Path) -> int:
        processed = self._processed.get(path)
        return done_offset(path) if processed is None else processed

    def _database_answers(self) -> bool:
        try:
            # A reader's connection: on SQLite it does not queue for the write lock. The webhooks' engine,
            # under a deadline: a hung database must not hold the writer for ever (core.deadline).
            engine = self.database.webhook_engine.execution_options(**{READS_ONLY: True})
            with deadline.at_most(self.database.budget.readiness_timeout), engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception as error:  # noqa: BLE001 - any failure means "not now"
            self.last_error = f"{type(error).__name__}: {error}".splitlines()[0]
            return False

    def _drain_file(self, path: Path, report: DrainReport, *, orphan: bool) -> None:
        start = done_offset(path)
        try:
            entries = list(read_entries(path, start))
        except FileNotFoundError:
            return
        if not entries:
            self._processed[path] = max(start, self._processed.get(path, 0))
            if orphan:
                remove_drained(path)
            return
        report.files.append(path.name)
        first_waiting: int | None = None
        for index in range(0, len(entries), BATCH):
            batch = [e for e in entries[index : index + BATCH] if (path, e.offset) not in self._applied_past_done]
            outcome = self._apply_batch(batch, report)
            if outcome is None:  # the database is down: keep the offset where it was
                report.database_down = True
                self._save_offset(path, start, first_waiting, None)
                return
            for entry in outcome:
                first_waiting = entry.offset if first_waiting is None else min(first_waiting, entry.offset)
        end = entries[-1].end
        self._save_offset(path, start, first_waiting, end)
        self._processed[path] = end
        if first_waiting is None:
            if orphan:
                remove_drained(path)
            else:
                self.journal.rotate_if_drained(path, end)

    def _save_offset(self, path: Path, start: int, first_waiting: int | None, end: int | None) -> None:
        new = first_waiting if first_waiting is not None else end
        if new is None or new <= start:
            return
        mark_done(path, new)
        self._applied_past_done = {(p, o) for p, o in self._applied_past_done if p != path or o >= new}
        self._waiting_since = {(p, o): t for (p, o), t in self._waiting_since.items() if p != path or o >= new}

    def _apply_batch(self, batch: list[Entry], report: DrainReport) -> list[Entry] | None:
        """Apply ``batch`` in one transaction; the entries left waiting, or None if the database is down."""
        if not batch:
            return []
        try:
            waiting = self._apply(batch)
        except Exception as error:  # noqa: BLE001 - sorted out below
            why = (str(error).splitlines() or [""])[0]
            log.warning("journal batch of %d facts failed (%s: %s); checking the database", len(batch), type(error).__name__, why)
            if _transient(error) or not self._database_answers():
                self.last_error = f"{type(error).__name__}: {error}".splitlines()[0]
                return None
            # The database answers: find the fact it refuses, keep the others.
            waiting = []
            for entry in batch:
                try:
                    waiting += self._apply([entry])
                except Exception as error:  # logged, the fact is kept aside
                    if _transient(error) or not self._database_answers():
                        return None
                    log.exception("journal fact at %s:%d refused by the database; kept in .rejected", entry.path.name, entry.offset)
                    self._reject(entry)
                    report.rejected += 1
                    self._applied_past_done.add((entry.path, entry.offset))
        applied = [e for e in batch if e not in waiting and (e.path, e.offset) not in self._applied_past_done]
        for entry in applied:
            self._applied_past_done.add((entry.path, entry.offset))
        report.applied += len(applied)
        report.waiting += len(waiting)
        self.last_error = None
        return waiting

    def _apply(self, batch: list[Entry]) -> list[Entry]:
        waiting: list[Entry] = []
        # Each statement within the webhook budget (statement_timeout), the batch within ten — or within
        # what is left of a request's own budget, when a request catches up (catch_up).
        with deadline.at_most(self.database.budget.seconds * 10), self.database.writer_sessions() as session, session.begin():
            # Facts of one kind next to each other (calls' greetings, first steps of one shape, the GP's
            # status callbacks) are sent together, in their place in the journal's order (facts.together).
            run_key: tuple[str, ...] | None = None
            run: list[Fact] = []
            for entry in batch:
                fact: Fact | None = entry.fact
                if fact is None:
                    self._reject(entry)
                    continue
                kind = together(session, fact)
                if run_key is not None and kind != run_key:
                    apply_together(session, run_key, run)
                    run_key, run = None, []
                if kind is not None:
                    run_key = kind
                    run.append(fact)
                    continue
                key = (entry.path, entry.offset)
                if waits_for_call(session, fact):
                    first_seen = self._waiting_since.setdefault(key, self._monotonic())
                    if self._monotonic() - first_seen < WAIT_LIMIT:
                        waiting.append(entry)
                        continue
                    log.warning(
                        "journal fact at %s:%d waited %.0f s for its call; applied as is", entry.path.name, entry.offset, WAIT_LIMIT
                    )
                apply_fact(session, fact)
            if run_key is not None:
                apply_together(session, run_key, run)
        return waiting

    def _reject(self, entry: Entry) -> None:
        rejected = entry.path.with_name(entry.path.name + ".rejected")
        with open(rejected, "ab") as handle:
            handle.write(entry.raw)
            handle.flush()


def _transient(error: Exception) -> bool:
    """The database is away, slow or locked (try again later), as opposed to refusing this fact."""
    return isinstance(error, (exc.OperationalError, exc.TimeoutError, exc.InterfaceError)) or (
        isinstance(error, exc.DBAPIError) and error.connection_invalidated
    )


# -- per application ----------------------------------------------------------------------------------

_SETUP = threading.Lock()


def journal_of(app: Flask) -> Journal:
    return writer_of(app).journal


def writer_of(app: Flask) -> JournalWriter:
    """The application's journal and writer, made on first use (the thread starts with the first fact)."""
    writer = app.extensions.get("recours.journal_writer")
    if writer is None:
        with _SETUP:
            writer = app.extensions.get("recours.journal_writer")
            if writer is None:
                settings = app.config["SETTINGS"]
                directory = journal_directory(settings.local.journal_dir, settings.database_url)
                writer = JournalWriter(app.extensions["recours.db"], Journal(directory))
                app.extensions["recours.journal_writer"] = writer
    return writer


def record(app: Flask, fact: Fact) -> None:
    """Keep ``fact`` in the journal (durably) and wake the writer."""
    writer = writer_of(app)
    writer.journal.append(fact)
    writer.start()


def behind(app: Flask) -> bool:
    """See :meth:`JournalWriter.behind` (False at once when this process journaled nothing)."""
    found = app.extensions.get("recours.journal_writer")
    return found is not None and found.behind()


def catch_up(app: Flask) -> bool:
    """See :meth:`JournalWriter.catch_up`."""
    found = app.extensions.get("recours.journal_writer")
    return True if found is None else found.catch_up()


def resume(app: Flask) -> None:
    """Start the writer once per process if the journal holds files (left by a crash, an outage)."""
    here = (id(app), os.getpid())
    if app.extensions.get("recours.journal_resumed") == here:
        return
    app.extensions["recours.journal_resumed"] = here
    writer = writer_of(app)
    if writer.journal.files():
        writer.start()


def stop(app: Flask) -> None:
    writer = app.extensions.get("recours.journal_writer")
    if writer is not None:
        writer.stop()
        writer.journal.close()
