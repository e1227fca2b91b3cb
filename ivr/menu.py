"""The hotline's menu (specialties, keys, words, direct numbers), read from the rota at most every
few seconds per process.

The menu is read on every call but changes a few times a year, so the greeting need not cost a
database round trip; an edited specialty reaches the hotline within ``ttl`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session

from rota.queries import MenuEntry, hotline_menu, specialty_by_direct_number

DEFAULT_TTL_SECONDS = 30.0


class HotlineMenu:
    def __init__(self, ttl: float = DEFAULT_TTL_SECONDS, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._entries: tuple[MenuEntry, ...] | None = None
        self._direct: dict[str, MenuEntry | None] = {}
        self._expires = 0.0

    def _fresh(self) -> None:
        # Called with the lock held: drop everything once the time to live has passed.
        if self._monotonic() >= self._expires:
            self._entries, self._direct = None, {}
            self._expires = self._monotonic() + self.ttl

    def entries(self, session: Session) -> tuple[MenuEntry, ...]:
        """The specialties in menu order."""
        with self._lock:
            self._fresh()
            if self._entries is None:
                self._entries = tuple(hotline_menu(session))
            return self._entries

    def by_direct_number(self, session: Session, e164: str | None) -> MenuEntry | None:
        """The specialty whose own number was dialled, if any."""
        if not e164:
            return None
        with self._lock:
            self._fresh()
            if e164 not in self._direct:
                self._direct[e164] = specialty_by_direct_number(session, e164)
            return self._direct[e164]
