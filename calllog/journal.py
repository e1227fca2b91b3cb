"""The local journal of call-log facts: an append-only file on local disk, fsync'd before the webhook
answers, drained into the database by :mod:`calllog.writer`.

Each process appends to its own file (``<host>-<pid>-<random>.jsonl``, one JSON fact a line) and holds an
exclusive ``flock`` on it for as long as it lives. A file nobody holds any more belongs to a process that
ended or was killed: any instance sharing the directory may then drain it and delete it. Next to each
file, ``<file>.done`` keeps the byte offset up to which the facts are in the database, so a restart
replays only what may be missing (replaying more is harmless: every fact is idempotent).

The directory is namespaced by the database it feeds, so a journal is never replayed into another
database (tests, a changed ``DATABASE_URL``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from calllog.facts import Fact, fact_from_json

log = logging.getLogger(__name__)

SUFFIX = ".jsonl"
# A file fully drained and bigger than this is replaced by a new one (the next append opens it).
ROTATE_BYTES = 1_000_000


def database_fingerprint(database_url: str) -> str:
    """A short, stable name for the database a journal feeds (no password in a directory name)."""
    return hashlib.sha256(database_url.encode()).hexdigest()[:16]


def journal_directory(base: str | os.PathLike[str], database_url: str) -> Path:
    return Path(base) / database_fingerprint(database_url)


@dataclass(frozen=True)
class Entry:
    """One fact read back, with where it ends in its file."""

    path: Path
    offset: int  # where the line starts
    end: int  # just after its newline
    fact: Fact | None  # None: a line that cannot be read back (kept for the operator, see the writer)
    raw: bytes


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new content."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_directory(path.parent)


def done_offset(path: Path) -> int:
    try:
        return int(path.with_name(path.name + ".done").read_text() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def mark_done(path: Path, offset: int) -> None:
    write_atomically(path.with_name(path.name + ".done"), str(offset).encode())


class Journal:
    """The journal of one application in one process."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._handle = None
        self._path: Path | None = None
        self._pid: int | None = None
        self.appended = threading.Event()  # set on every append: wakes the writer
        # Group commit: lines are numbered as written; one fsync makes every line written before it
        # durable, so threads whose line another thread's fsync covered return without one of their own.
        # (Lock order: _sync_lock, then _lock.)
        self._sync_lock = threading.Lock()
        self._written = 0
        self._synced = 0
        self._bytes = 0  # the length of the own file: every line this process wrote to it ends before

    # -- writing ------------------------------------------------------------------------------------

    def _open(self) -> None:
        # Called with the lock held. A new file per process: after a fork (gunicorn --preload) the
        # child must not share the parent's file description, nor its lock.
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
        path = self.directory / name
        handle = open(path, "ab")  # noqa: SIM115 - held open (and locked) for the process's life
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        _fsync_directory(self.directory)
        self._handle, self._path, self._pid = handle, path, os.getpid()
        self._bytes = 0

    def append(self, fact: Fact) -> None:
        """Write ``fact`` durably: when this returns, a power cut does not lose it.

        The fsync (milliseconds on a real disk) is made outside the lock that orders the lines, and
        covers every line written before it: concurrent webhooks share one instead of queueing for one
        each (group commit)."""
        line = (json.dumps(fact.to_json(), separators=(",", ":"), ensure_ascii=False) + "\n").encode()
        with self._lock:
            if self._handle is None or self._pid != os.getpid():
                self._open()
            assert self._handle is not None
            self._handle.write(line)
            self._handle.flush()
            self._bytes += len(line)
            self._written += 1
            mine = self._written
        with self._sync_lock:
            if self._synced < mine:
                with self._lock:
                    handle, upto = self._handle, self._written
                os.fsync(handle.fileno())  # every line up to ``upto`` was flushed to the OS before
                self._synced = upto
        self.appended.set()

    @property
    def own_path(self) -> Path | None:
        return self._path if self._pid == os.getpid() else None

    def written(self) -> tuple[Path, int] | None:
        """The own file and the offset every line appended so far ends before (None: no own file)."""
        with self._lock:
            path = self.own_path
            return None if path is None else (path, self._bytes)

    def rotate_if_drained(self, path: Path, offset: int) -> None:
        """Once the own file is in the database up to its end and has grown big, start a new one."""
        with self._sync_lock, self._lock:
            if path != self.own_path or self._handle is None:
                return
            size = path.stat().st_size
            if offset >= size and size >= ROTATE_BYTES:
                self._handle.close()
                self._handle = self._path = self._pid = None
                self._synced = self._written  # all of it is in the database: nothing left to make durable
                _remove(path)

    def close(self) -> None:
        with self._sync_lock, self._lock:
            if self._handle is not None:
                os.fsync(self._handle.fileno())
                self._handle.close()
            self._handle = self._path = self._pid = None
            self._synced = self._written

    # -- reading ------------------------------------------------------------------------------------

    def files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.iterdir() if p.name.endswith(SUFFIX) and not p.name.startswith("."))

    def claim_orphan(self, path: Path):
        """An open handle holding the lock of a file whose process is gone, or None (still alive, or
        already taken by another drainer)."""
        if path == self.own_path:
            return None
        try:
            handle = open(path, "rb")  # noqa: SIM115 - returned to the drainer, which closes it
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        return handle

    def pending(self) -> int:
        """Bytes of facts not yet in the database, over every file (for /readyz and the CLI)."""
        total = 0
        for path in self.files():
            try:
                total += max(0, path.stat().st_size - done_offset(path))
            except FileNotFoundError:
                continue
        return total


def read_entries(path: Path, start: int) -> Iterator[Entry]:
    """The complete lines of ``path`` from byte ``start`` (a line being written is left for later)."""
    with open(path, "rb") as handle:
        handle.seek(start)
        offset = start
        for raw in handle:
            if not raw.endswith(b"\n"):
                return
            end = offset + len(raw)
            try:
                fact: Fact | None = fact_from_json(json.loads(raw))
            except (ValueError, KeyError, TypeError):
                log.exception("unreadable journal line at %s:%d", path.name, offset)
                fact = None
            yield Entry(path, offset, end, fact, raw)
            offset = end


def remove_drained(path: Path) -> None:
    _remove(path)


def _remove(path: Path) -> None:
    for victim in (path, path.with_name(path.name + ".done")):
        with contextlib.suppress(FileNotFoundError):
            victim.unlink()
