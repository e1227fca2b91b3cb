"""Which prompts are recorded, for the call path: read at most every few seconds per process, like the
menu (:mod:`ivr.menu`), so a greeting costs no extra database round trip; a new upload reaches the
hotline within ``ttl`` seconds. If the lookup fails (a database in trouble), the last known recordings are
used — or text-to-speech: a GP always hears the prompt."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from voice.models import EXTENSIONS, PromptRecording

log = logging.getLogger(__name__)
DEFAULT_TTL_SECONDS = 30.0
SERVED_AT = "/prompts"


def path_of(key: str, language: str, content_type: str, sha256: str) -> str:
    """The app's URL of a recording; the hash in it changes with every upload, so a cached copy is never stale."""
    return f"{SERVED_AT}/{language}/{key}.{EXTENSIONS[content_type]}?v={sha256[:16]}"


def recorded_paths(session: Session) -> dict[tuple[str, str], str]:
    """(key, language) → the recording's path on this app, read from the database (the routing
    snapshot reads it with the rota, so a call reads nothing: :mod:`routing.snapshot`)."""
    rows = session.execute(select(PromptRecording.key, PromptRecording.language, PromptRecording.content_type, PromptRecording.sha256))
    return {(key, language): path_of(key, language, kind, sha) for key, language, kind, sha in rows}


class RecordedVoice:
    def __init__(self, ttl: float = DEFAULT_TTL_SECONDS, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._paths: dict[tuple[str, str], str] = {}
        self._expires = 0.0

    def paths(self, session: Session) -> Mapping[tuple[str, str], str]:
        """(key, language) → the recording's path on this app."""
        with self._lock:
            if self._monotonic() < self._expires:
                return self._paths
            try:
                paths = recorded_paths(session)
            except SQLAlchemyError:
                log.warning("recorded prompts not read; using the last known ones", exc_info=True)
                session.rollback()
                self._expires = self._monotonic() + self.ttl  # not again on every request of a bad minute
                return self._paths
            self._paths = paths
            self._expires = self._monotonic() + self.ttl
            return self._paths

    def forget(self) -> None:
        """After an upload in this process: the next call reads them again."""
        with self._lock:
            self._expires = 0.0
