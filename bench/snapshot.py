"""The routing snapshot at AP-HP size: ``python -m bench.snapshot [--backend sqlite|postgresql|both]``.

Builds the hospital of :mod:`bench.rota` (5,000 seniors, 500 specialties, two years of duty) in a
temporary database, then prints:

- the cost of one refresh (:func:`routing.snapshot.build_snapshot`, 36 h ahead, every specialty):
  wall and CPU, best of three; its segments; its size as JSON on disk; the time to write and to read
  back the disk copy; the tracemalloc peak of one build;
- the hotline's question answered from the snapshot against the database, A B A B on the same random
  (specialty, instant) pairs of the horizon: p50/p99 of ``snapshot.hunt_list`` and of
  ``on_duty_hunt_list``, and the ratio — with every answer compared (a mismatch is printed, never hidden).

Figures only, no thresholds: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from bench.rota import START, _percentile, best_of, build, temporary_database, traced_peak
from calllog.journal import write_atomically
from core import db, migrations
from rota.queries import on_duty_hunt_list
from routing.snapshot import RoutingSnapshot, build_snapshot

HOURS = 36


def _lookups(snapshot: RoutingSnapshot, sessions: sessionmaker, pairs, rounds: int) -> tuple[list[float], list[float], int]:
    from_memory, from_database, mismatches = [], [], 0
    for _ in range(rounds):  # A B A B
        for specialty_id, at in pairs:
            began = time.perf_counter_ns()
            memory = snapshot.hunt_list(specialty_id, at)
            from_memory.append((time.perf_counter_ns() - began) / 1e3)
            with sessions() as session:
                session.connection()
                began = time.perf_counter_ns()
                database = on_duty_hunt_list(session, specialty_id, at)
                from_database.append((time.perf_counter_ns() - began) / 1e3)
            if memory is None or list(memory) != database:
                mismatches += 1
    return from_memory, from_database, mismatches


def run(backend: str, samples: int, seed: int) -> None:
    with temporary_database(backend) as url:
        if url is None:
            return
        engine: Engine = db.make_engine(url)
        try:
            migrations.upgrade(engine)
            sessions = sessionmaker(engine, expire_on_commit=False)
            rng = random.Random(seed)
            with sessions() as session:
                built = build(session, rng)
            print(f"{backend}: hospital built in {built.seconds:.1f} s ({', '.join(f'{k} {v}' for k, v in built.rows.items())})")
            now = START + timedelta(days=200, hours=9, minutes=17)

            def refresh() -> RoutingSnapshot:
                with sessions() as session:
                    return build_snapshot(session, now, HOURS)

            wall, cpu = best_of(3, refresh)
            snapshot = refresh()
            segments = sum(len(s) for s in snapshot.segments.values())
            print(
                f"{backend}: refresh ({HOURS} h, {len(snapshot.segments)} specialties, {segments} segments, "
                f"{len(snapshot.seniors)} seniors): best of 3 {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU"
            )
            print(f"{backend}: refresh tracemalloc peak {traced_peak(refresh):.1f} MiB")
            with tempfile.TemporaryDirectory(prefix="recours-snapshot-") as folder:
                path = Path(folder) / "snapshot.json"
                began = time.perf_counter()
                data = json.dumps(snapshot.to_json(), separators=(",", ":")).encode()
                write_atomically(path, data)
                written = time.perf_counter() - began
                began = time.perf_counter()
                again = RoutingSnapshot.from_json(json.loads(path.read_bytes()))
                read = time.perf_counter() - began
            same = again.segments == snapshot.segments and again.menu == snapshot.menu
            print(
                f"{backend}: disk copy {len(data) / 1024:.0f} KiB, written (fsync'd) in {written * 1000:.0f} ms, "
                f"read back in {read * 1000:.0f} ms, identical: {same}"
            )
            ids = sorted(snapshot.segments)
            pairs = [(rng.choice(ids), now + timedelta(seconds=rng.uniform(0, HOURS * 3600 - 1))) for _ in range(samples)]
            memory, database, mismatches = _lookups(snapshot, sessions, pairs, rounds=2)
            p50m, p99m = _percentile(memory, 0.5), _percentile(memory, 0.99)
            p50d, p99d = _percentile(database, 0.5), _percentile(database, 0.99)
            print(
                f"{backend}: hunt list from the snapshot p50 {p50m:.1f} µs p99 {p99m:.1f} µs; from the database "
                f"p50 {p50d:.0f} µs p99 {p99d:.0f} µs; ratio of p50 {p50d / max(p50m, 0.001):.0f}x; "
                f"{len(pairs) * 2} answers compared, {mismatches} different"
            )
        finally:
            engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--samples", type=int, default=1000, help="(specialty, instant) pairs asked both ways")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run(backend, args.samples, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
