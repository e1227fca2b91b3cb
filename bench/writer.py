"""What the journal's writer costs per fact: ``python -m bench.writer [--backend sqlite|postgresql|both]``.

With the log written behind (``CALLLOG_WRITE_BEHIND=true``) a webhook only journals its facts; the
writer thread stores them, in the same worker, on the same cores. This prints, for the facts of
``/twilio/voice`` (a call's greeting) and ``/twilio/menu`` (the specialty and the first Dial), each run
as the load test's signed requests straight into the WSGI app, one at a time:

- the request's own wall and CPU time (the writer's thread held back meanwhile);
- then the writer's drain of those facts: wall and CPU per fact, and the statements it sent.

Rounds alternate the two webhooks (A B A B); the figures of each round are printed, then the medians.
Figures only, no thresholds: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time

from bench.profile_hotpath import build_app, menu_action, request_makers
from bench.webhooks import MENU, VOICE, bench_databases, new_call_sid, open_calls


def measure(app, token: str, database_url: str, path: str, n: int) -> dict[str, float]:
    """One round of ``n`` requests to ``path``, then the drain of their facts."""
    from sqlalchemy import event

    from calllog import writer

    journal_writer = writer.writer_of(app)
    url_path = menu_action(app, token) if path == MENU else path
    journal_writer.drain()  # (menu_action's own greeting): only this round's facts are drained below
    sids = [new_call_sid() for _ in range(n)]
    if path == MENU:
        open_calls(database_url, sids)
    calls = request_makers(app, token, path, sids, url_path)
    wall, cpu = time.perf_counter(), time.thread_time()
    for call in calls:
        call()
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    statements = [0]

    def count(*_args) -> None:
        statements[0] += 1

    engines = app.extensions["recours.db"].engines()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        drain_wall, drain_cpu = time.perf_counter(), time.thread_time()
        report = journal_writer.drain()
        drain_wall, drain_cpu = time.perf_counter() - drain_wall, time.thread_time() - drain_cpu
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    if report.applied != n or report.rejected or report.database_down:
        raise RuntimeError(f"{path}: the writer applied {report.applied} of {n} facts ({report})")
    return {
        "request_wall_ms": 1000 * wall / n,
        "request_cpu_ms": 1000 * cpu / n,
        "writer_wall_ms": 1000 * drain_wall / n,
        "writer_cpu_ms": 1000 * drain_cpu / n,
        "writer_statements": statements[0] / n,
    }


def run(label: str, database_url: str, rounds: int, n: int) -> None:
    from calllog import writer

    token = secrets.token_hex(16)
    held = writer.JournalWriter.start
    writer.JournalWriter.start = lambda self: None  # the writer's thread held back: drains are timed here
    app = build_app(database_url, token, {"CALLLOG_WRITE_BEHIND": "true"})
    try:
        figures: dict[str, list[dict[str, float]]] = {VOICE: [], MENU: []}
        measure(app, token, database_url, VOICE, 50)  # warm: imports, compiled statements, pool
        measure(app, token, database_url, MENU, 50)
        print(f"\n{label}: {n} requests a webhook and round, one at a time, in-process")
        for number in range(1, rounds + 1):
            for path in (VOICE, MENU):
                one = measure(app, token, database_url, path, n)
                figures[path].append(one)
                print(f"  round {number} {path:<14} {_line(one)}")
        for path, rows in figures.items():
            medians = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
            print(f"  median  {path:<14} {_line(medians)}")
    finally:
        writer.JournalWriter.start = held
        app.extensions["recours.db"].engine.dispose()


def _line(row: dict[str, float]) -> str:
    return (
        f"request {row['request_wall_ms']:.3f} ms wall, {row['request_cpu_ms']:.3f} ms CPU;"
        f" writer {row['writer_wall_ms']:.3f} ms wall, {row['writer_cpu_ms']:.3f} ms CPU,"
        f" {row['writer_statements']:.2f} statements a fact"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1000, help="requests a webhook and round (default 1,000)")
    args = parser.parse_args(argv)
    os.environ["LOG_LEVEL"] = "WARNING"
    for label, url in bench_databases(args.backend, "recours-writer-"):
        run(label, url, args.rounds, args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
