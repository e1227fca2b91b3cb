"""The rota engine at AP-HP size: ``python -m bench.rota [--backend sqlite|postgresql|both]``.

Builds 5,000 seniors in 500 specialties (50 departments) with two years of duty — day, night, weekend
and backup rotations, single shifts for the 100 specialties that run on a spreadsheet, leave and
overrides — in a temporary database (a file for SQLite; for PostgreSQL a database created on
``BENCH_POSTGRES_URL`` or ``TEST_POSTGRES_URL`` and dropped at the end), then measures:

- ``on_duty``: the hotline's question (``on_duty_hunt_list``), for random specialties at random
  instants of the two years: p50 and p99 (aim: p99 <= 2 ms), wall clock and this process's CPU, each
  call in a read-only session that ends with COMMIT (``core.db.read_sessions``), so psycopg's prepared
  statement survives from call to call. Baselines, measured in the same run on the same instants,
  interleaved A B A B: the same question in sessions that end with ROLLBACK (psycopg then forgets the
  prepared statement: PostgreSQL parses and plans it on every call), and the naive interval query
  ``starts_at <= t AND ends_at > t`` for single shifts, without the lower bound that turns it into a
  short index range (the hotline's query before the rota engine);
- the 30-day gap scan over all specialties (aim: <= 1 s). Baseline: one ``coverage`` call per specialty;
- memory: the tracemalloc peak of one scan and one batch of ``on_duty`` (measured in a separate run,
  since tracing slows Python down), and the process's maximum RSS.

Rotations are stored as patterns, so the database holds about 170,000 exception rows and 1,800
rotations, not the ~890,000 occurrences two years of them would be as rows.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from core import db, migrations
from rota import queries
from rota.coverage import coverage
from rota.models import Department, DepartmentHead, DutyOverride, DutySlot, Leave, Rotation, RotationMember, Senior, SeniorPhone, Specialty

PARIS = ZoneInfo("Europe/Paris")
SENIORS, SPECIALTIES, PER_DEPARTMENT, TEAM = 5000, 500, 10, 10
SPREADSHEET_SPECIALTIES = 100
FIRST_DAY = date(2026, 1, 1)
DAYS = 730
START = datetime.combine(FIRST_DAY, wall(0, 0), PARIS).astimezone(UTC)
END = START + timedelta(days=DAYS)
DAY, NIGHT = wall(8, 30), wall(18, 30)
CHUNK = 5000


@dataclass
class Built:
    rows: dict[str, int]
    seconds: float


def _insert(session: Session, model, rows: list[dict]) -> int:
    for offset in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[offset : offset + CHUNK])
    return len(rows)


def _local(day: date, at: wall) -> datetime:
    return datetime.combine(day, at, PARIS).astimezone(UTC)


def build(session: Session, rng: random.Random) -> Built:
    """Write the hospital; ids are given explicitly so rows can reference each other without reading back."""
    began = time.perf_counter()
    counts: dict[str, int] = {}
    counts["seniors"] = _insert(
        session, Senior, [{"id": i + 1, "full_name": f"Dr {i + 1:04d}", "active": i % 997 != 0} for i in range(SENIORS)]
    )
    _insert(session, SeniorPhone, [{"senior_id": i + 1, "e164": f"+3361{i + 1:07d}", "preference": 0} for i in range(SENIORS)])
    departments = SPECIALTIES // PER_DEPARTMENT
    _insert(
        session,
        Department,
        [
            {
                "id": d + 1,
                "name": f"Département {d + 1}",
                "timezone": "Europe/Paris",
                "leave_policy": "gap" if d % 10 == 0 else "skip",
                "swaps_need_approval": True,
                "public_holidays": "FR",
            }
            for d in range(departments)
        ],
    )

    def team(s: int) -> list[int]:
        return [s * TEAM + k + 1 for k in range(TEAM)]

    _insert(
        session,
        DepartmentHead,
        [{"department_id": d + 1, "senior_id": team(d * PER_DEPARTMENT)[0], "position": 0} for d in range(departments)],
    )
    counts["specialties"] = _insert(
        session,
        Specialty,
        [
            {
                "id": s + 1,
                "code": f"s{s + 1:03d}",
                "department_id": s // PER_DEPARTMENT + 1,
                "name_fr": f"spécialité {s + 1}",
                "name_en": f"specialty {s + 1}",
                "speech_keywords": "",
                "last_resort_senior_id": team(s)[-1] if s % 3 else None,
            }
            for s in range(SPECIALTIES)
        ],
    )
    rotations, members = [], []

    def rotation(
        s: int, name: str, layer: str, weekdays: str, start: wall, end: wall, turn_days: int, anchor: date, people: list[int]
    ) -> None:
        rid = len(rotations) + 1
        rotations.append(
            {
                "id": rid,
                "specialty_id": s + 1,
                "name": name,
                "layer": layer,
                "weekdays": weekdays,
                "start_time": start,
                "end_time": end,
                "turn_days": turn_days,
                "handoff_time": start,
                "anchor_date": anchor,
                "valid_from": START - timedelta(days=30),
                "valid_until": None,
            }
        )
        members.extend({"rotation_id": rid, "position": p, "senior_id": m} for p, m in enumerate(people))

    shifts = []
    for s in range(SPECIALTIES):
        people = team(s)
        if s >= SPREADSHEET_SPECIALTIES:
            rotation(s, "Jour", "primary", "12345", DAY, NIGHT, 7, date(2025, 12, 29), people[:5])
            # One specialty in ten shares a night senior with the next one: conflicts for the scan to find.
            nights = people[5:] + ([team((s + 1) % SPECIALTIES)[5]] if s % 10 == 0 else [])
            rotation(s, "Nuit", "primary", "12345", NIGHT, DAY, 1, date(2025, 12, 29), nights)
        else:
            for offset in range(DAYS):
                day = FIRST_DAY + timedelta(days=offset)
                if day.isoweekday() <= 5:
                    for start, end, next_day in ((DAY, NIGHT, 0), (NIGHT, DAY, 1)):
                        shifts.append(
                            {
                                "specialty_id": s + 1,
                                "senior_id": rng.choice(people),
                                "layer": "primary",
                                "starts_at": _local(day, start),
                                "ends_at": _local(day + timedelta(days=next_day), end),
                            }
                        )
        rotation(s, "Week-end", "primary", "67", DAY, DAY, 7, date(2026, 1, 3), people)
        rotation(s, "Secours", "backup", "1234567", DAY, DAY, 7, date(2025, 12, 29), people[::-1])
    counts["rotations"] = _insert(session, Rotation, rotations)
    _insert(session, RotationMember, members)
    counts["single shifts"] = _insert(session, DutySlot, shifts)
    leave = []
    for senior_id in range(1, SENIORS + 1):
        for _ in range(10):
            start = START + timedelta(hours=rng.randrange(DAYS * 24))
            leave.append(
                {"senior_id": senior_id, "starts_at": start, "ends_at": start + timedelta(days=rng.randint(1, 14)), "reason": "congés"}
            )
    counts["leave"] = _insert(session, Leave, leave)
    overrides = []
    for s in range(SPECIALTIES):
        people = team(s)
        for _ in range(24):
            replaced, replacing = rng.sample(people, 2)
            start = START + timedelta(hours=rng.randrange(DAYS * 24))
            overrides.append(
                {
                    "specialty_id": s + 1,
                    "replaced_senior_id": replaced,
                    "replacing_senior_id": replacing,
                    "starts_at": start,
                    "ends_at": start + timedelta(hours=rng.randint(4, 24)),
                    "note": "",
                }
            )
    counts["overrides"] = _insert(session, DutyOverride, overrides)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        with session.get_bind().connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    else:
        session.execute(text("ANALYZE"))
        session.commit()
    return Built(counts, time.perf_counter() - began)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def time_on_duty(sessions: sessionmaker, instants: list[tuple[int, datetime]]) -> tuple[list[float], list[float]]:
    """Milliseconds per call, wall and this thread's CPU, each call in its own short session as a webhook
    would have. The transaction is open before the clock starts: a webhook has read its call before it
    asks the rota, so checkout, pre-ping and BEGIN are not the rota's cost. On a shared machine the CPU
    figure is our own cost (for SQLite, the database's included; for PostgreSQL, the server's excluded)."""
    wall_ms, cpu_ms = [], []
    for specialty_id, at in instants:
        with sessions() as session:
            session.connection()
            began, cpu = time.perf_counter_ns(), time.thread_time_ns()
            queries.on_duty_hunt_list(session, specialty_id, at)
            wall_ms.append((time.perf_counter_ns() - began) / 1e6)
            cpu_ms.append((time.thread_time_ns() - cpu) / 1e6)
    return wall_ms, cpu_ms


def server_cpu_seconds(engine: Engine) -> float | None:
    """CPU used so far by the PostgreSQL backends serving this database, read from /proc: the server runs
    on this machine here. None where that cannot be read (SQLite, a remote server). The backend asking is
    one of them (the pool's one connection): its own share is a few microseconds."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        pids = connection.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).all()
        connection.commit()
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    except OSError:
        return None
    return total


@contextmanager
def naive_interval_query() -> Iterator[None]:
    """The baseline: no lower bound on ``starts_at``, so every past shift of the specialty is a candidate."""
    bounded = queries.MAX_SINGLE_SHIFT
    queries.MAX_SINGLE_SHIFT = timedelta(days=365 * 200)
    try:
        yield
    finally:
        queries.MAX_SINGLE_SHIFT = bounded


def best_of(runs: int, action: Callable[[], object]) -> tuple[float, float]:
    """Best wall time and the CPU time of that run (the machine may be shared: CPU shows our own cost)."""
    best = (float("inf"), 0.0)
    for _ in range(runs):
        began, cpu = time.perf_counter(), time.process_time()
        action()
        best = min(best, (time.perf_counter() - began, time.process_time() - cpu))
    return best


def traced_peak(action: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


@contextmanager
def temporary_database(backend: str) -> Iterator[str | None]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="recours-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'rota.sqlite3'}"
        return
    admin_url = (
        os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"recours_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        print(f"postgresql: skipped ({type(exc).__name__}: {str(exc).splitlines()[0]})")
        admin.dispose()
        yield None
        return
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(backend: str, samples: int, seed: int) -> None:
    with temporary_database(backend) as url:
        if url is None:
            return
        engine: Engine = db.make_engine(url)
        try:
            migrations.upgrade(engine)
            sessions = sessionmaker(engine, expire_on_commit=False)  # they end with ROLLBACK
            readers = db.read_sessions(engine)  # they end with COMMIT, as the hotline's reads do
            rng = random.Random(seed)
            with sessions() as session:
                built = build(session, rng)
            print(f"\n== {backend}: built in {built.seconds:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in built.rows.items()))
            instants = [(rng.randrange(SPECIALTIES) + 1, START + timedelta(seconds=rng.randrange(DAYS * 86400))) for _ in range(samples)]
            time_on_duty(readers, instants[:200])  # warm the pool, the statement caches and the pattern cache
            fast, fast_cpu, rolled, naive, naive_cpu = [], [], [], [], []
            server = {"commit": 0.0, "rollback": 0.0}
            # A B A B: four rounds, each timing every variant on its quarter of the instants.
            for quarter in range(4):
                part = instants[quarter::4]
                before = server_cpu_seconds(engine)
                wall_ms, cpu_ms = time_on_duty(readers, part)
                middle = server_cpu_seconds(engine)
                fast += wall_ms
                fast_cpu += cpu_ms
                rolled += time_on_duty(sessions, part)[0]
                after = server_cpu_seconds(engine)
                if before is not None and middle is not None and after is not None:
                    server["commit"] += middle - before
                    server["rollback"] += after - middle
                with naive_interval_query():
                    time_on_duty(readers, part[:50])
                    wall_ms, cpu_ms = time_on_duty(readers, part)
                naive += wall_ms
                naive_cpu += cpu_ms
            p50, p99, n50, n99 = _percentile(fast, 0.5), _percentile(fast, 0.99), _percentile(naive, 0.5), _percentile(naive, 0.99)
            c50, c99 = _percentile(fast_cpu, 0.5), _percentile(fast_cpu, 0.99)
            print(
                f"on_duty ({samples} calls): p50 {p50:.2f} ms, p99 {p99:.2f} ms, mean {statistics.fmean(fast):.2f} ms  [aim: p99 <= 2 ms]"
            )
            print(f"  CPU of this process per call: p50 {c50:.2f} ms, p99 {c99:.2f} ms")
            r50, r99 = _percentile(rolled, 0.5), _percentile(rolled, 0.99)
            print(
                f"  baseline, sessions ending with ROLLBACK (statement never stays prepared): p50 {r50:.2f} ms, p99 {r99:.2f} ms"
                f"  -> {r50 / p50:.1f}x (p50), {r99 / p99:.1f}x (p99)"
            )
            if server["commit"]:
                print(
                    f"  PostgreSQL server CPU per call (from /proc, clock-tick resolution): {server['commit'] / samples * 1e3:.2f} ms"
                    f" prepared vs {server['rollback'] / samples * 1e3:.2f} ms ending with ROLLBACK"
                    f" -> {server['rollback'] / server['commit']:.1f}x"
                )
            print(
                f"  baseline, naive interval query: p50 {n50:.2f} ms, p99 {n99:.2f} ms  -> {n50 / p50:.1f}x (p50), {n99 / p99:.1f}x (p99)"
            )
            print(
                f"  baseline CPU per call: p50 {_percentile(naive_cpu, 0.5):.2f} ms, p99 {_percentile(naive_cpu, 0.99):.2f} ms"
                f"  -> {_percentile(naive_cpu, 0.5) / c50:.1f}x (p50)"
            )
            # The interval query only matters where single shifts pile up: the spreadsheet-run specialties.
            mine = [i for i, (specialty_id, _) in enumerate(instants) if specialty_id <= SPREADSHEET_SPECIALTIES]
            if mine:
                f50, f99 = _percentile([fast[i] for i in mine], 0.5), _percentile([fast[i] for i in mine], 0.99)
                b50, b99 = _percentile([naive[i] for i in mine], 0.5), _percentile([naive[i] for i in mine], 0.99)
                print(
                    f"  specialties run on single shifts ({len(mine)} calls): p50 {f50:.2f} vs naive {b50:.2f} ms -> {b50 / f50:.1f}x; "
                    f"p99 {f99:.2f} vs {b99:.2f} ms -> {b99 / f99:.1f}x"
                )

            scan_start = START + timedelta(days=400)
            scan_end = scan_start + timedelta(days=30)
            report_holder = {}

            def scan() -> None:
                with sessions() as session:
                    report_holder["report"] = coverage(session, scan_start, scan_end)

            scan_seconds, scan_cpu = best_of(3, scan)
            report = report_holder["report"]
            print(
                f"30-day gap scan, {len(report.specialty_ids)} specialties: {scan_seconds:.3f} s wall, {scan_cpu:.3f} s CPU "
                f"(best of 3)  [aim: <= 1 s]; "
                f"found {len(report.gaps)} gaps, {len(report.conflicts)} conflicts"
            )

            def scan_one_by_one() -> None:
                with sessions() as session:
                    for specialty_id in range(1, SPECIALTIES + 1):
                        coverage(session, scan_start, scan_end, [specialty_id])

            one_by_one, _ = best_of(1, scan_one_by_one)
            print(f"  baseline, one coverage() per specialty: {one_by_one:.3f} s  -> {one_by_one / scan_seconds:.1f}x")
            scan_peak = traced_peak(scan)
            duty_peak = traced_peak(lambda: time_on_duty(readers, instants[:500]))
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"memory: scan peak {scan_peak:.1f} MiB, 500 on_duty calls peak {duty_peak:.1f} MiB (tracemalloc); "
                f"process max RSS so far {rss:.0f} MiB"
            )
        finally:
            engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--samples", type=int, default=5000, help="on_duty calls timed per backend")
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args(argv)
    print(f"Recours rota benchmark: {SENIORS:,} seniors, {SPECIALTIES} specialties, {DAYS} days; python {sys.version.split()[0]}")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at start "
        "(other work on the machine slows wall times, not CPU times)"
    )
    for backend in ("sqlite", "postgresql") if options.backend == "both" else (options.backend,):
        run(backend, options.samples, options.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
