"""The routing snapshot: what the hotline needs to route calls, for the hours ahead, in memory and on
local disk, so that webhooks decide without reading the database and still route when it is away.

- **What**: the menu (specialties, keys, words, direct numbers), each specialty's hunt lists as timed
  segments ``[starts_at, ends_at)`` — one per stretch over which nobody changes place, so an entry
  expires at its next handover — for ``ROUTING_SNAPSHOT_HOURS`` (36 by default), the seniors' names and
  numbers, and the GP directory's names (the senior's announcement).
- **From where**: :func:`rota.coverage.duty_timeline` cuts the period at every fact change and decides
  each stretch with :func:`rota.precedence.decide`, the rule the hotline uses; the last resorts and the
  hunt order come from :func:`rota.precedence.last_resorts` and :func:`rota.queries.hunt_list`. No second
  rota engine: the property test checks the snapshot against :func:`rota.queries.on_duty_hunt_list`.
- **Kept fresh**: a thread per process polls the ``rota_version`` row (bumped by database triggers on
  every routing table) every ``ROTA_VERSION_POLL_SECONDS`` and rebuilds when it moved, and every
  ``ROUTING_REFRESH_SECONDS`` anyway; a rota change committed by this very process marks the snapshot
  stale at once, so the next call rebuilds it first.
- **On disk**: written atomically after each build (``ROUTING_SNAPSHOT_DIR/<database fingerprint>.json``);
  a process that starts while the database is away routes from it.

:func:`current` is the snapshot for whoever needs one without touching the database (``/readyz``, the
degraded answers); :func:`routing` gives the flow a :class:`Routing`, the snapshot with the database
behind it when the snapshot cannot answer.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from calllog.journal import database_fingerprint, write_atomically
from core import clock, deadline
from core.breaker import DatabaseUnavailable
from core.db import Database
from directory.models import GeneralPractitioner, GpPhone
from rota.coverage import duty_timeline
from rota.models import Leave, Senior, SeniorPhone
from rota.precedence import last_resorts
from rota.queries import (
    DutyAnswer,
    HuntEntry,
    MenuEntry,
    SeniorInfo,
    hotline_menu,
    hunt_list,
    on_duty_hunt_list,
    require_aware,
    specialty_contexts,
)
from routing.models import ROUTING_TABLES, RotaVersion

log = logging.getLogger(__name__)

FORMAT = 1


@dataclass(frozen=True)
class Segment:
    """``hunt`` is who to ring over ``[starts_at, ends_at)``."""

    starts_at: datetime
    ends_at: datetime
    hunt: tuple[HuntEntry, ...]


@dataclass(frozen=True)
class RoutingSnapshot:
    rota_version: int | None
    built_at: datetime
    starts_at: datetime
    ends_at: datetime
    menu: tuple[MenuEntry, ...]
    direct: dict[str, int]  # a specialty's own number → its id
    seniors: dict[int, tuple[str, str | None]]  # id → (name, preferred number)
    gps: dict[str, tuple[int, str]]  # a GP's number → (id, name)
    segments: dict[int, tuple[Segment, ...]]
    defer_minutes: dict[int, int] = field(default_factory=dict)  # a specialty's own promise, minutes
    # The hospital's recordings of prompts (voice/): "key|language" → the path Twilio fetches.
    recordings: dict[str, str] = field(default_factory=dict)
    # How a specialty's hunt rings (ringing/), for those not rung one by one: id → (mode, fixed seconds).
    ringing: dict[int, tuple[str, int | None]] = field(default_factory=dict)
    _starts: dict[int, list[datetime]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for specialty_id, segments in self.segments.items():
            self._starts[specialty_id] = [s.starts_at for s in segments]

    # -- questions ----------------------------------------------------------------------------------

    def covers(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    def hunt_list(self, specialty_id: int, at: datetime) -> tuple[HuntEntry, ...] | None:
        """Who to ring for ``specialty_id`` at ``at``; None when the snapshot cannot say (``at`` outside
        its horizon, a specialty it does not know)."""
        at = require_aware(at)
        if not self.covers(at) or specialty_id not in self.segments:
            return None
        segments = self.segments[specialty_id]
        index = bisect.bisect_right(self._starts[specialty_id], at) - 1
        if index < 0:
            return None
        segment = segments[index]
        return segment.hunt if segment.starts_at <= at < segment.ends_at else None

    def segment_at(self, specialty_id: int, at: datetime) -> Segment | None:
        segments = self.segments.get(specialty_id, ())
        index = bisect.bisect_right(self._starts.get(specialty_id, []), at) - 1
        return segments[index] if 0 <= index < len(segments) and at < segments[index].ends_at else None

    def menu_entry(self, specialty_id: int | None) -> MenuEntry | None:
        return next((e for e in self.menu if e.specialty_id == specialty_id), None)

    def by_direct_number(self, e164: str | None) -> MenuEntry | None:
        return self.menu_entry(self.direct.get(e164)) if e164 else None

    def specialty_name(self, specialty_id: int | None, language: str) -> str:
        entry = self.menu_entry(specialty_id)
        return entry.name(language) if entry else ""

    def gp_for(self, e164: str | None) -> tuple[int, str] | None:
        return self.gps.get(e164) if e164 else None

    def gp_name(self, gp_id: int | None) -> str | None:
        if gp_id is None:
            return None
        return next((name for gid, name in self.gps.values() if gid == gp_id), None)

    def age_seconds(self, now: datetime) -> float:
        return (now - self.built_at).total_seconds()

    # -- on disk ------------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "rota_version": self.rota_version,
            "built_at": self.built_at.isoformat(),
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "menu": [[e.specialty_id, e.code, e.digit, e.name_fr, e.name_en, list(e.keywords)] for e in self.menu],
            "direct": self.direct,
            "seniors": {str(k): list(v) for k, v in self.seniors.items()},
            "gps": {k: list(v) for k, v in self.gps.items()},
            "defer_minutes": {str(k): v for k, v in self.defer_minutes.items()},
            "recordings": dict(self.recordings),
            "ringing": {str(k): list(v) for k, v in self.ringing.items()},
            "segments": {
                str(sid): [
                    [s.starts_at.isoformat(), s.ends_at.isoformat(), [[h.senior_id, h.layer, h.reason] for h in s.hunt]] for s in segs
                ]
                for sid, segs in self.segments.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RoutingSnapshot:
        if data.get("format") != FORMAT:
            raise ValueError(f"routing snapshot format {data.get('format')!r}, expected {FORMAT}")
        seniors = {int(k): (v[0], v[1]) for k, v in data["seniors"].items()}

        def entry(senior_id: int, layer: str, reason: str) -> HuntEntry:
            name, number = seniors[senior_id]
            return HuntEntry(senior_id, name, number or "", layer, reason)

        return cls(
            rota_version=data["rota_version"],
            built_at=datetime.fromisoformat(data["built_at"]),
            starts_at=datetime.fromisoformat(data["starts_at"]),
            ends_at=datetime.fromisoformat(data["ends_at"]),
            menu=tuple(MenuEntry(m[0], m[1], m[2], m[3], m[4], tuple(m[5])) for m in data["menu"]),
            direct=dict(data["direct"]),
            seniors=seniors,
            gps={k: (v[0], v[1]) for k, v in data["gps"].items()},
            defer_minutes={int(k): v for k, v in data.get("defer_minutes", {}).items()},
            recordings=dict(data.get("recordings", {})),
            # A file written before this was carried: one by one, as when the database cannot say.
            ringing={int(k): (v[0], v[1]) for k, v in data.get("ringing", {}).items()},
            segments={
                int(sid): tuple(
                    Segment(datetime.fromisoformat(s), datetime.fromisoformat(e), tuple(entry(*h) for h in hunt)) for s, e, hunt in segs
                )
                for sid, segs in data["segments"].items()
            },
        )


# -- building -----------------------------------------------------------------------------------------


def read_rota_version(session: Session) -> int | None:
    return session.scalar(select(RotaVersion.version).where(RotaVersion.id == 1))


def build_snapshot(session: Session, now: datetime, hours: int) -> RoutingSnapshot:
    """Everything routing needs over ``[now, now + hours)``, read in one go (a few interval queries)."""
    start = require_aware(now)
    end = start + timedelta(hours=hours)
    version = read_rota_version(session)  # read first: a change made while building makes it stale
    menu = tuple(hotline_menu(session))
    from rota.models import Specialty

    direct = {number: sid for sid, number in session.execute(select(Specialty.id, Specialty.direct_number)).all() if number}
    numbers: dict[int, str] = {}
    for senior_id, e164 in session.execute(
        select(SeniorPhone.senior_id, SeniorPhone.e164).order_by(SeniorPhone.preference, SeniorPhone.id)
    ):
        numbers.setdefault(senior_id, e164)
    people = session.execute(select(Senior.id, Senior.full_name, Senior.active)).all()
    seniors = {sid: (name, numbers.get(sid)) for sid, name, _ in people}
    inactive = {sid for sid, _, active in people if not active}
    leave: dict[int, list[tuple[datetime, datetime]]] = {}
    for senior_id, s, e in session.execute(
        select(Leave.senior_id, Leave.starts_at, Leave.ends_at).where(Leave.starts_at < end, Leave.ends_at > start)
    ):
        leave.setdefault(senior_id, []).append((s, e))
    gps = {
        e164: (gp_id, name)
        for e164, gp_id, name in session.execute(
            select(GpPhone.e164, GeneralPractitioner.id, GeneralPractitioner.full_name).join(
                GeneralPractitioner, GeneralPractitioner.id == GpPhone.gp_id
            )
        )
    }
    contexts = specialty_contexts(session)
    infos = {sid: SeniorInfo(sid, name, sid not in inactive, False, number) for sid, (name, number) in seniors.items()}
    segments: dict[int, tuple[Segment, ...]] = {}
    for specialty_id, periods in duty_timeline(session, start, end).items():
        context = contexts[specialty_id]
        resorts = ([context.last_resort_id] if context.last_resort_id is not None else []) + list(context.head_ids)
        # The last resorts' own leave cuts the stretches too (the timeline only follows those on duty).
        cuts = sorted({t for sid in resorts for s, e in leave.get(sid, ()) for t in (s, e) if start < t < end})
        built: list[Segment] = []
        for period in periods:
            points = [period.starts_at, *(c for c in cuts if period.starts_at < c < period.ends_at), period.ends_at]
            for a, b in itertools.pairwise(points):
                unavailable = {
                    sid for sid in resorts if sid in inactive or sid not in seniors or any(s <= a < e for s, e in leave.get(sid, ()))
                }
                answer = DutyAnswer(
                    a, period.decision, tuple(last_resorts(context.last_resort_id, context.head_ids, unavailable)), infos, {}
                )
                hunt = tuple(hunt_list(answer))
                if built and built[-1].hunt == hunt and built[-1].ends_at == a:
                    built[-1] = Segment(built[-1].starts_at, b, hunt)
                else:
                    built.append(Segment(a, b, hunt))
        segments[specialty_id] = tuple(built)
    from ringing.models import SEQUENTIAL, CallPolicy

    defer: dict[int, int] = {}
    ringing: dict[int, tuple[str, int | None]] = {}
    policies = select(CallPolicy.specialty_id, CallPolicy.defer_minutes, CallPolicy.ringing, CallPolicy.stage_seconds)
    for specialty_id, minutes, mode, seconds in session.execute(policies):
        if minutes is not None:
            defer[specialty_id] = minutes
        if mode not in (None, SEQUENTIAL):  # the rule of ringing.queries.ringing_of
            ringing[specialty_id] = (mode, seconds)
    from voice.catalogue import recorded_paths

    recordings = {f"{key}|{language}": path for (key, language), path in recorded_paths(session).items()}
    return RoutingSnapshot(version, start, start, end, menu, direct, seniors, gps, segments, defer, recordings, ringing)


# -- one per application and process ------------------------------------------------------------------

_ROTA_WRITE = re.compile(
    r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+\"?(" + "|".join(ROUTING_TABLES) + r')\b"?',
    re.IGNORECASE,
)
_WRITTEN = "recours_routing_written"
_COMMITTED = "recours_routing_committed"


class SnapshotKeeper:
    """The snapshot of one application in one process, its disk copy and the thread keeping it fresh."""

    def __init__(self, database: Database, settings, monotonic: Callable[[], float] = time.monotonic) -> None:
        local = settings.local
        self.database = database
        self.hours = local.snapshot_hours
        self.refresh_seconds = local.snapshot_refresh_seconds
        self.poll_seconds = local.rota_poll_seconds
        self.path = Path(local.snapshot_dir) / f"{database_fingerprint(settings.database_url)}.json"
        self._monotonic = monotonic
        self._snapshot: RoutingSnapshot | None = None
        self._built_monotonic = 0.0
        self._stale = True
        self._build_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.last_error: str | None = None
        self._listen(database)

    # -- invalidation by this process's own writes --------------------------------------------------

    def _listen(self, database: Database) -> None:
        engine = database.engine

        @event.listens_for(engine, "before_cursor_execute")
        def _seen(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
            if statement[:1] in "IUDTiudt" and _ROTA_WRITE.match(statement):
                conn.info[_WRITTEN] = True

        @event.listens_for(engine, "commit")
        def _committed(conn) -> None:
            # "commit" fires before the database has committed: a rebuild starting now could still
            # read the old rota. The connection's return to the pool comes after.
            if conn.info.pop(_WRITTEN, False):
                conn.info[_COMMITTED] = True

        @event.listens_for(engine, "rollback")
        def _rolled_back(conn) -> None:
            conn.info.pop(_WRITTEN, None)  # (what an earlier commit wrote stays committed)

        @event.listens_for(engine.pool, "checkin")
        def _returned(_dbapi_connection, record) -> None:
            if record is not None and record.info.pop(_COMMITTED, False):
                self.invalidate()

    def invalidate(self) -> None:
        """A rota change was committed: calls ask the database until the thread has rebuilt it."""
        self._stale = True
        self._wake.set()

    # -- reading ------------------------------------------------------------------------------------

    def current(self) -> RoutingSnapshot | None:
        """The latest snapshot, from memory or else from disk; never the database."""
        if self._snapshot is None:
            self._snapshot = self._load()
        return self._snapshot

    def for_call(self, at: datetime) -> tuple[RoutingSnapshot | None, bool]:
        """The snapshot to route a call at ``at`` and whether it is current. Not current (a rota change
        committed here since it was built, ``at`` beyond it, none yet): the thread rebuilds it at once,
        off the request path, and meanwhile the call asks the database, the snapshot standing by."""
        snapshot = self.current()
        # While the database fails the rebuilds, the snapshot held is the best answer there is.
        fresh = snapshot is not None and snapshot.covers(at) and (not self._stale or self.last_error is not None)
        self.start()
        if not fresh:
            self._wake.set()
        return (snapshot if snapshot is not None and snapshot.covers(at) else None), fresh

    def refresh(self, at: datetime | None = None, *, limit: float | None = None) -> RoutingSnapshot | None:
        """Rebuild from the database now; None (and the old snapshot kept) if it does not answer within
        ``limit`` seconds (by default ten webhook budgets)."""
        with self._build_lock:
            stale_before = self._stale
            self._stale = False
            try:
                limit = limit if limit is not None else self.database.budget.seconds * 10
                with deadline.within(limit), self.database.keeper_read_sessions() as session:
                    if session.get_bind().dialect.name == "postgresql":
                        # A rebuild's statements may take longer than a webhook's (the engine's default).
                        session.execute(text(f"SET LOCAL statement_timeout = {int(limit * 1000)}"))
                    snapshot = build_snapshot(session, at or clock.now(), self.hours)
                    session.commit()
            except Exception as error:  # noqa: BLE001 - any failure: route from the one held, logged
                self._stale = self._stale or stale_before
                self.last_error = f"{type(error).__name__}: {error}".splitlines()[0]
                log.warning("routing snapshot not rebuilt (%s); routing from the one held", self.last_error)
                return None
            self._snapshot = snapshot
            self._built_monotonic = self._monotonic()
            self.last_error = None
        self._save(snapshot)
        return snapshot

    def _save(self, snapshot: RoutingSnapshot) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, json.dumps(snapshot.to_json(), separators=(",", ":")).encode())
        except OSError:
            log.exception("routing snapshot not written to %s", self.path)

    def _load(self) -> RoutingSnapshot | None:
        try:
            return RoutingSnapshot.from_json(json.loads(self.path.read_bytes()))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            log.exception("routing snapshot at %s unreadable; ignored", self.path)
            return None

    # -- the thread ---------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive() and self._thread.ident and self._pid == os.getpid():
            return
        self._pid = os.getpid()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="routing-snapshot", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.tick()
            except Exception:  # the thread outlives any failure; logged
                log.exception("routing snapshot refresh failed")

    def tick(self) -> bool:
        """One look: rebuild if the rota's version moved, the snapshot is old or its horizon is near.
        Returns whether it rebuilt."""
        snapshot = self._snapshot
        due = snapshot is None or self._stale or self._monotonic() - self._built_monotonic >= self.refresh_seconds
        due = due or not snapshot.covers(clock.now() + timedelta(hours=1))
        if not due:
            try:
                with deadline.within(self.database.budget.seconds), self.database.keeper_read_sessions() as session:
                    version = read_rota_version(session)
                    session.commit()
            except Exception as error:  # noqa: BLE001 - any failure means "not now"
                self.last_error = f"{type(error).__name__}: {error}".splitlines()[0]
                return False
            self.last_error = None  # the database answers again
            due = version != snapshot.rota_version
        return due and self.refresh() is not None


_SETUP = threading.Lock()


def keeper_of(app: Flask) -> SnapshotKeeper:
    keeper = app.extensions.get("recours.routing")
    if keeper is None:
        with _SETUP:
            keeper = app.extensions.get("recours.routing")
            if keeper is None:
                keeper = SnapshotKeeper(app.extensions["recours.db"], app.config["SETTINGS"])
                app.extensions["recours.routing"] = keeper
    return keeper


def current() -> RoutingSnapshot | None:
    """The application's snapshot as held (memory, else disk), without touching the database."""
    return keeper_of(current_app).current()


def stop(app: Flask) -> None:
    keeper = app.extensions.get("recours.routing")
    if keeper is not None:
        keeper.stop()


# -- what the flow asks -------------------------------------------------------------------------------


class Routing:
    """The flow's questions about routing. A current snapshot answers them (no database read); while it
    is not current (``fresh`` false: a rota change committed moments ago, being rebuilt) the database
    answers, with the snapshot held as the fallback should the database fail; the database also answers
    what the snapshot does not know (a senior added since it was built)."""

    def __init__(
        self,
        snapshot: RoutingSnapshot | None,
        session: Callable[[], Session],
        menu_cache,
        fresh: bool = True,
        database_failing: bool = False,
    ) -> None:
        self.snapshot = snapshot if snapshot is not None else None
        self.fresh = fresh and snapshot is not None
        self._session = session
        self._menu = menu_cache
        # The keeper's last look at the database failed, or a question of this request did: see ringing().
        self.database_failing = database_failing

    def _ask(self, from_snapshot: Callable[[RoutingSnapshot], Any], from_database: Callable[[Session], Any]) -> Any:
        if self.fresh:
            return from_snapshot(self.snapshot)
        if self.snapshot is None:
            return from_database(self._session())
        session = self._session()
        try:
            return from_database(session)
        except DatabaseUnavailable:  # the breaker: the database failed a moment ago (already logged)
            self.fresh = True
            return from_snapshot(self.snapshot)
        except Exception:
            log.warning("routing from the snapshot held: the database did not answer", exc_info=True)
            with contextlib.suppress(Exception):
                session.rollback()
            self.database_failing = True
            self.fresh = True  # the rest of this request does not wait for the database again
            return from_snapshot(self.snapshot)

    def menu_entries(self) -> tuple[MenuEntry, ...]:
        return self._ask(lambda s: s.menu, lambda session: self._menu.entries(session))

    def by_direct_number(self, e164: str | None) -> MenuEntry | None:
        return self._ask(lambda s: s.by_direct_number(e164), lambda session: self._menu.by_direct_number(session, e164))

    def hunt_list(self, specialty_id: int, at: datetime) -> tuple[HuntEntry, ...]:
        def from_snapshot(snapshot: RoutingSnapshot) -> tuple[HuntEntry, ...]:
            found = snapshot.hunt_list(specialty_id, at)
            return found if found is not None else tuple(on_duty_hunt_list(self._session(), specialty_id, at))

        return self._ask(from_snapshot, lambda session: tuple(on_duty_hunt_list(session, specialty_id, at)))

    def specialty_name(self, specialty_id: int | None, language: str) -> str:
        from rota.queries import specialty_name

        return self._ask(
            lambda s: s.specialty_name(specialty_id, language), lambda session: specialty_name(session, specialty_id, language)
        )

    def gp_for(self, e164: str | None) -> tuple[int, str] | None:
        def from_database(session: Session) -> tuple[int, str] | None:
            if not e164:
                return None
            row = session.execute(
                select(GpPhone.gp_id, GeneralPractitioner.full_name).join(GeneralPractitioner).where(GpPhone.e164 == e164)
            ).first()
            return None if row is None else (row[0], row[1])

        return self._ask(lambda s: s.gp_for(e164), from_database)

    def gp_name(self, gp_id: int | None) -> str | None:
        from directory.queries import gp_name

        return self._ask(lambda s: s.gp_name(gp_id), lambda session: gp_name(session, gp_id))

    def defer_minutes(self, specialty_id: int | None, default: int) -> int:
        from ringing.queries import defer_minutes

        return self._ask(
            lambda s: s.defer_minutes.get(specialty_id, default) if specialty_id is not None else default,
            lambda session: defer_minutes(session, specialty_id, default),
        )

    def ringing(self, specialty_id: int | None):
        """How the specialty's hunt rings (:class:`ringing.queries.Ringing`), from the snapshot. One by
        one while the database fails: staged ringing's own webhooks read the call from the log."""
        from ringing.models import SEQUENTIAL
        from ringing.queries import Ringing, ringing_of

        if self.database_failing:
            return Ringing(SEQUENTIAL, None)

        def from_snapshot(snapshot: RoutingSnapshot) -> Ringing:
            mode, seconds = snapshot.ringing.get(specialty_id, (SEQUENTIAL, None)) if specialty_id is not None else (SEQUENTIAL, None)
            return Ringing(mode, seconds)

        policy = self._ask(from_snapshot, lambda session: ringing_of(session, specialty_id))
        return Ringing(SEQUENTIAL, None) if self.database_failing else policy

    def senior(self, senior_id: int) -> tuple[str, str | None] | None:
        def from_database(session: Session) -> tuple[str, str | None] | None:
            senior = session.get(Senior, senior_id)
            return None if senior is None else (senior.full_name, senior.preferred_number)

        def from_snapshot(snapshot: RoutingSnapshot) -> tuple[str, str | None] | None:
            return snapshot.seniors[senior_id] if senior_id in snapshot.seniors else from_database(self._session())

        return self._ask(from_snapshot, from_database)
