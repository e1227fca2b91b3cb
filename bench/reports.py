"""How long does the call report take on a year of a busy hotline — and without what makes it fast?

    python -m bench.reports              (10,000,000 attempts on PostgreSQL, then 1,000,000 on SQLite)
    python -m bench.reports --attempts 200000 --backend postgresql

For each database — a temporary SQLite file; a temporary PostgreSQL database on 127.0.0.1:5432 (user
postgres, ``BENCH_POSTGRES_URL`` to change), created and dropped by the run — the bench:

1. migrates an empty database (every head) and writes a generated year (2025, Europe/Paris) of six
   specialties, 48 seniors, the requested number of attempts (about 1.76 per call on PostgreSQL, 1.5 on
   SQLite) and their callback requests: on PostgreSQL by the server itself (``INSERT ... SELECT FROM
   generate_series``: 10M attempts, 5.7M calls, 1.1M callback requests in minutes), on SQLite from
   Python (``executemany`` in one transaction);
2. **baseline**: drops the report's indexes (migrations 0301, 0550 and 0940), refreshes the planner's
   statistics and times the reports read from the call log alone, without the summary tables;
3. recreates the indexes, VACUUM ANALYZE (index-only scans need the visibility map), summarises every
   sealed day as the nightly job does (calls of the year, callback requests by the day they were done,
   what came after the calls once a senior can no longer answer), VACUUM ANALYZE again (autovacuum's
   work after those inserts), and times the same reports as a manager gets them from then on; prints
   both and the ratio.

"Main report" is :func:`reports.figures.summary_report` for the whole hotline over the whole year: every
figure of the report page and of ``GET /api/reports/summary`` (the paged list of unanswered calls is timed
apart). A summarised report is timed as the median of ``--repeat`` runs after a warm-up; the baseline,
tens of seconds, once.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ZONE = ZoneInfo("Europe/Paris")
FIRST_DAY, LAST_DAY = date(2025, 1, 1), date(2025, 12, 31)
NOW = datetime(2026, 1, 3, 9, 0, tzinfo=UTC)  # the report is made once the whole year is sealed
SPECIALTIES = ("neurology", "cardiology", "paediatrics", "geriatrics", "psychiatry", "oncology")
SENIORS_PER_SPECIALTY = 8
# Calls by local hour of the day: a GP's working day, a quieter night.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 4, 8, 10, 10, 9, 7, 8, 9, 9, 8, 7, 5, 3, 2, 2, 1, 1)
# What one senior's phone does when rung.
RESULT_WEIGHTS = {"accepted": 55, "no_answer": 20, "busy": 7, "not_accepted": 10, "declined": 5, "failed": 3}
REPORT_INDEX_NAMES = (
    "ix_call_report", "ix_attempt_report", "ix_callback_request_done_at", "ix_callback_request_not_done", "ix_call_follow_up",
)  # fmt: skip
LAYERS = ("primary", "backup", "last_resort")
GP = "+33199000201"


# -- a generated year ------------------------------------------------------------------------------------


@dataclass
class Year:
    calls: list[tuple]
    attempts: list[tuple]
    callbacks: list[tuple]


def _weighted(rng: random.Random, values: tuple, weights: tuple) -> Callable[[], object]:
    cumulative = list(itertools.accumulate(weights))
    total = cumulative[-1]
    return lambda: values[bisect.bisect_right(cumulative, rng.random() * total)]


def generate(attempt_target: int, specialty_ids: dict[str, int], senior_ids: dict[str, list[int]], seed: int, deadline: bool) -> Year:
    """Calls spread over the year until ``attempt_target`` attempts exist, as rows in the column order of
    :data:`CALL_COLUMNS`, :data:`ATTEMPT_COLUMNS` and :func:`callback_columns`. Instants are naive UTC
    datetimes: formatting them is most of the loading time, and the loader tells the database they are UTC."""
    rng = random.Random(seed)
    days = (LAST_DAY - FIRST_DAY).days + 1
    local_midnights = [datetime.combine(FIRST_DAY + timedelta(days=n), datetime.min.time(), ZONE) for n in range(days)]
    hour_of_day = _weighted(rng, tuple(range(24)), HOUR_WEIGHTS)
    result_of_ring = _weighted(rng, tuple(RESULT_WEIGHTS), tuple(RESULT_WEIGHTS.values()))
    hunts: dict[tuple[str, int], tuple[list[dict], str]] = {}
    year = Year([], [], [])
    call_id = attempt_id = 0
    while len(year.attempts) < attempt_target:
        call_id += 1
        midnight = rng.choice(local_midnights)
        local = midnight.replace(hour=hour_of_day(), minute=rng.randrange(60), second=rng.randrange(60), microsecond=rng.randrange(10**6))
        started = local.astimezone(UTC).replace(tzinfo=None)
        code = rng.choice(SPECIALTIES)
        specialty_id: int | None = specialty_ids[code]
        first_ringing = connected = None
        at = started + timedelta(seconds=4 + 5 * rng.random())  # the menu, then the first dial
        roll = rng.random()
        hunt_json = "[]"
        if roll < 0.05:
            specialty_id, hunt_json, outcome = None, None, "abandoned_in_menu"
            ended = started + timedelta(seconds=2 + 18 * rng.random())
        elif roll < 0.08:
            outcome = "callback_requested" if rng.random() < 0.6 else "nobody_on_duty"
            ended = at + timedelta(seconds=5 + 55 * rng.random())
        else:
            week = started.isocalendar().week
            if (code, week) not in hunts:  # the rotation: three seniors of the specialty take turns weekly
                pool = senior_ids[code]
                entries = [
                    {"senior_id": pool[(week + k) % len(pool)], "name": f"Dr {code} {(week + k) % len(pool)}", "number": "+33199000100",
                     "layer": LAYERS[k], "reason": "rotation"}
                    for k in range(3)
                ]  # fmt: skip
                hunts[code, week] = (entries, json.dumps(entries))
            entries, hunt_json = hunts[code, week]
            outcome = ""
            for rank, entry in enumerate(entries):
                attempt_id += 1
                result = result_of_ring()
                dialled, ringing, answered, accepted = at, None, None, None
                if result not in ("busy", "failed"):
                    ringing = (dialled + timedelta(seconds=1 + 3 * rng.random())).replace(microsecond=0)
                    first_ringing = first_ringing or ringing
                if rng.random() < 0.04:  # the GP gives up while this phone rings
                    result, outcome = "caller_hung_up", "abandoned_while_hunting"
                    at = dialled + timedelta(seconds=3 + 15 * rng.random())
                elif result in ("accepted", "not_accepted", "declined"):
                    answered = dialled + timedelta(seconds=4 + 11 * rng.random())
                    at = answered + timedelta(seconds=5 + 4 * rng.random())
                    if result == "accepted":
                        accepted = connected = at
                        outcome = "connected"
                else:
                    at = dialled + timedelta(seconds=20 if result == "no_answer" else 1 + 2 * rng.random())
                year.attempts.append(
                    (attempt_id, call_id, rank, entry["senior_id"], entry["number"], entry["layer"], f"CA{attempt_id:032x}",
                     dialled, ringing, answered, accepted, at, result, 4)
                )  # fmt: skip
                if outcome:
                    break
            if not outcome:
                outcome = "callback_requested" if rng.random() < 0.8 else "switchboard"
            ended = at + timedelta(seconds=30 + 570 * rng.random() if outcome == "connected" else 5 + 35 * rng.random())
        if outcome == "callback_requested":
            requested = ended - timedelta(seconds=2 + 13 * rng.random())
            done_at = requested + timedelta(minutes=rng.expovariate(1 / 40)) if rng.random() < 0.95 else None
            status = "done" if done_at is not None and done_at < NOW.replace(tzinfo=None) else "open"
            row = [len(year.callbacks) + 1, call_id, GP, GP, None, specialty_id, requested, None, None, None, status,
                   done_at if status == "done" else None]  # fmt: skip
            if deadline:
                row.append(requested + timedelta(minutes=60) if rng.random() < 0.9 else None)
            year.callbacks.append(tuple(row))
        year.calls.append(
            (call_id, f"CA{call_id:032x}c", GP, GP, None, "+33199000000", "fr", specialty_id, 0, hunt_json, started, first_ringing,
             connected, ended if outcome == "switchboard" else None, ended, outcome, None, 4)
        )  # fmt: skip
    return year


# -- a generated year, in SQL (PostgreSQL): tens of millions of rows without leaving the server ------------

# One row per call: when, which specialty, what happened and how many seniors were rung. The draws follow
# the Python generator's shape (a GP's working day, five outcomes, up to three seniors) from setseed().
_SQL_CALLS = """
CREATE TEMP TABLE generated_call AS
SELECT i AS id,
       (DATE '2025-01-01' + floor(random() * 365)::int
         + make_interval(hours => CASE WHEN random() < 0.85 THEN 7 + floor(random() * 12)::int ELSE floor(random() * 24)::int END,
                         mins => floor(random() * 60)::int, secs => random() * 60)
       ) AT TIME ZONE 'Europe/Paris' AS started_at,
       1 + floor(random() * :specialties)::int AS specialty_n,
       random() AS roll, random() AS rings
FROM generate_series(1, :calls) AS i
"""
# roll < 0.05: abandoned in the menu; < 0.07: nobody on duty; < 0.08: a callback with nobody on duty;
# otherwise a hunt: connected (70 %) at the 1st, 2nd or 3rd senior, abandoned while hunting (5 %), all
# three missed then a callback request (20 %) or the switchboard (5 %).
_SQL_SHAPE = """
CREATE TEMP TABLE shaped_call AS
SELECT id, started_at, specialty_n,
       CASE WHEN roll < 0.05 THEN 'abandoned_in_menu' WHEN roll < 0.07 THEN 'nobody_on_duty' WHEN roll < 0.08 THEN 'callback_requested'
            WHEN roll < 0.724 THEN 'connected' WHEN roll < 0.77 THEN 'abandoned_while_hunting'
            WHEN roll < 0.954 THEN 'callback_requested' ELSE 'switchboard' END AS outcome,
       CASE WHEN roll < 0.08 THEN 0 WHEN roll < 0.77 THEN CASE WHEN rings < 0.6 THEN 1 WHEN rings < 0.85 THEN 2 ELSE 3 END ELSE 3 END
         AS rung
FROM generated_call
"""
_SQL_INSERT_CALLS = """
INSERT INTO call (id, sid, caller, caller_e164, dialled, language, specialty_id, menu_failures, hunt, started_at, first_ringing_at,
                  connected_at, switchboard_at, ended_at, outcome, status_rank)
SELECT c.id, 'CA' || lpad(to_hex(c.id), 32, '0'), :gp, :gp, '+33199000000', 'fr',
       CASE WHEN c.outcome = 'abandoned_in_menu' THEN NULL ELSE s.specialty_id END, 0,
       CASE WHEN c.outcome = 'abandoned_in_menu' THEN NULL WHEN c.rung = 0 THEN '[]'::json ELSE :hunt ::json END,
       c.started_at,
       CASE WHEN c.rung > 0 THEN c.started_at + interval '6 seconds' END,
       CASE WHEN c.outcome = 'connected' THEN c.started_at + (c.rung * 20 - 5) * interval '1 second' END,
       CASE WHEN c.outcome = 'switchboard' THEN c.started_at + interval '75 seconds' END,
       c.started_at + CASE WHEN c.outcome = 'connected' THEN 300 ELSE 20 + c.rung * 20 END * interval '1 second',
       c.outcome, 4
FROM shaped_call c JOIN bench_specialty s ON s.n = c.specialty_n
"""
_SQL_INSERT_ATTEMPTS = """
INSERT INTO attempt (call_id, rank, senior_id, number, layer, child_sid, started_at, ringing_at, answered_at, accepted_at, ended_at,
                     result, status_rank)
SELECT a.call_id, a.rank, p.senior_id, '+33199000100', (ARRAY['primary', 'backup', 'last_resort'])[a.rank + 1],
       'CA' || lpad(to_hex(a.call_id), 30, '0') || a.rank, a.dialled,
       CASE WHEN a.result NOT IN ('busy', 'failed') THEN date_trunc('second', a.dialled) + interval '2 seconds' END,
       CASE WHEN a.result IN ('accepted', 'not_accepted', 'declined') THEN a.dialled + interval '8 seconds' END,
       CASE WHEN a.result = 'accepted' THEN a.dialled + interval '15 seconds' END,
       a.dialled + interval '20 seconds', a.result, 4
FROM (
  SELECT c.id AS call_id, c.specialty_n, r.rank, c.started_at + (6 + r.rank * 20) * interval '1 second' AS dialled,
         extract(week FROM c.started_at)::int AS week,
         CASE WHEN r.rank = c.rung - 1 AND c.outcome = 'connected' THEN 'accepted'
              WHEN r.rank = c.rung - 1 AND c.outcome = 'abandoned_while_hunting' THEN 'caller_hung_up'
              ELSE (ARRAY['no_answer', 'no_answer', 'no_answer', 'no_answer', 'busy', 'busy', 'not_accepted', 'not_accepted',
                          'declined', 'failed'])[1 + floor(random() * 10)::int] END AS result
  FROM shaped_call c CROSS JOIN LATERAL generate_series(0, c.rung - 1) AS r(rank)
) a JOIN bench_senior p ON p.specialty_n = a.specialty_n AND p.n = (a.week + a.rank) % :per_specialty
"""
_SQL_INSERT_CALLBACKS = """
INSERT INTO callback_request (call_id, caller, caller_e164, specialty_id, requested_at, status, done_at, deadline_at)
SELECT id, :gp, :gp, specialty_id, requested_at,
       CASE WHEN done_at < :now THEN 'done' ELSE 'open' END, CASE WHEN done_at < :now THEN done_at END,
       CASE WHEN random() < 0.9 THEN requested_at + interval '60 minutes' END
FROM (
  SELECT id, specialty_id, ended_at - interval '10 seconds' AS requested_at,
         CASE WHEN random() < 0.95 THEN ended_at - interval '10 seconds' + (-ln(1 - random()) * 40) * interval '1 minute' END AS done_at
  FROM call WHERE outcome = 'callback_requested'
) r
"""
# Attempts per call of that shape, measured.
_ATTEMPTS_PER_CALL = 1.76


def generate_in_sql(
    engine: Engine, attempt_target: int, specialty_ids: dict[str, int], senior_ids: dict[str, list[int]], seed: int
) -> dict:
    """The year written by PostgreSQL itself (INSERT ... SELECT FROM generate_series): no row crosses the
    wire, so ten million attempts take minutes, not an hour. Foreign keys are not checked row by row
    (replica role), as in a data migration; the sequences are moved past the ids written."""
    calls = round(attempt_target / _ATTEMPTS_PER_CALL)
    hunt = json.dumps([{"senior_id": 0, "name": "Dr", "number": "+33199000100", "layer": "primary", "reason": "rotation"}])
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text("SELECT setseed(:seed)"), {"seed": (seed % 1000) / 1000})
        connection.execute(text("CREATE TEMP TABLE bench_specialty (n int, specialty_id int) ON COMMIT DROP"))
        connection.execute(
            text("INSERT INTO bench_specialty VALUES (:n, :id)"), [{"n": n + 1, "id": specialty_ids[c]} for n, c in enumerate(SPECIALTIES)]
        )
        connection.execute(text("CREATE TEMP TABLE bench_senior (specialty_n int, n int, senior_id int) ON COMMIT DROP"))
        connection.execute(
            text("INSERT INTO bench_senior VALUES (:s, :n, :id)"),
            [{"s": k + 1, "n": n, "id": sid} for k, c in enumerate(SPECIALTIES) for n, sid in enumerate(senior_ids[c])],
        )
        connection.execute(text(_SQL_CALLS.replace(":specialties", str(len(SPECIALTIES))).replace(":calls", str(calls))))
        connection.execute(text(_SQL_SHAPE))
        connection.execute(text(_SQL_INSERT_CALLS), {"gp": GP, "hunt": hunt})
        connection.execute(text(_SQL_INSERT_ATTEMPTS.replace(":per_specialty", str(SENIORS_PER_SPECIALTY))))
        connection.execute(text(_SQL_INSERT_CALLBACKS), {"gp": GP, "now": NOW})
        for table in ("call", "attempt", "callback_request"):
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        connection.execute(text("DROP TABLE generated_call, shaped_call"))
        return {table: connection.scalar(text(f"SELECT count(*) FROM {table}")) for table in ("call", "attempt", "callback_request")}


CALL_COLUMNS = (
    "id", "sid", "caller", "caller_e164", "gp_id", "dialled", "language", "specialty_id", "menu_failures", "hunt", "started_at",
    "first_ringing_at", "connected_at", "switchboard_at", "ended_at", "outcome", "error", "status_rank",
)  # fmt: skip
ATTEMPT_COLUMNS = (
    "id", "call_id", "rank", "senior_id", "number", "layer", "child_sid", "started_at", "ringing_at", "answered_at", "accepted_at",
    "ended_at", "result", "status_rank",
)  # fmt: skip
CALLBACK_COLUMNS = (
    "id", "call_id", "caller", "caller_e164", "gp_id", "specialty_id", "requested_at", "recording_url", "recording_sid",
    "recording_seconds", "status", "done_at",
)  # fmt: skip


def callback_columns(deadline: bool) -> tuple[str, ...]:
    return (*CALLBACK_COLUMNS, "deadline_at") if deadline else CALLBACK_COLUMNS


# -- databases -------------------------------------------------------------------------------------------


@contextlib.contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="recours-bench-reports-") as directory:
        yield f"sqlite:///{Path(directory) / 'recours.sqlite3'}"


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A uniquely named database, dropped WITH (FORCE) whatever happens (errors, Ctrl-C)."""
    name = f"recours_bench_reports_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def seed_rota(engine: Engine) -> tuple[dict[str, int], dict[str, list[int]]]:
    """One department, its specialties and seniors, through the ORM (a few dozen rows)."""
    from rota.models import Department, Senior, SeniorPhone, Specialty

    with Session(engine) as session:
        department = Department(name="Hôpital", timezone=ZONE.key)
        specialties = {
            code: Specialty(code=code, department=department, name_fr=code, name_en=code, menu_digit=str(n + 1))
            for n, code in enumerate(SPECIALTIES)
        }
        seniors = {
            code: [
                Senior(full_name=f"Dr {code} {n}", phones=[SeniorPhone(e164=f"+33199{i:03d}{n:03d}")]) for n in range(SENIORS_PER_SPECIALTY)
            ]
            for i, code in enumerate(SPECIALTIES)
        }
        session.add_all([*specialties.values(), *(s for group in seniors.values() for s in group)])
        session.commit()
        return {c: s.id for c, s in specialties.items()}, {c: [s.id for s in group] for c, group in seniors.items()}


def _copy_line(row: tuple) -> str:
    # COPY's text format: \N for NULL; our values hold no tab, newline or backslash.
    return "\t".join("\\N" if value is None else str(value) for value in row)


def _sqlite_row(row: tuple) -> list:
    # str() of a naive datetime is SQLAlchemy's storage format on SQLite (core.db.UTCDateTime: UTC, naive).
    return [str(value) if isinstance(value, datetime) else value for value in row]


def load(engine: Engine, year: Year, deadline: bool) -> None:
    """Bulk-load the year as a data migration would: the rows are known to be consistent, so foreign
    keys are not checked row by row during the load (PostgreSQL: replica role; SQLite: the pragma)."""
    tables = (("call", CALL_COLUMNS, year.calls), ("attempt", ATTEMPT_COLUMNS, year.attempts),
              ("callback_request", callback_columns(deadline), year.callbacks))  # fmt: skip
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute("SET TIME ZONE 'UTC'")  # the generated instants are naive UTC
            cursor.execute("SET session_replication_role = replica")
            for table, columns, rows in tables:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for start in range(0, len(rows), 50_000):
                        copy.write("".join(_copy_line(row) + "\n" for row in rows[start : start + 50_000]))
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute("SET session_replication_role = DEFAULT")
        else:
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.execute("BEGIN")  # core.db leaves SQLite in autocommit: one transaction, not a million
            for table, columns, rows in tables:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", map(_sqlite_row, rows))
        raw.commit()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        raw.close()


def refresh_statistics(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def drop_report_indexes(engine: Engine) -> None:
    with engine.begin() as connection:
        for name in REPORT_INDEX_NAMES:
            connection.execute(text(f"DROP INDEX {name}"))


def create_report_indexes(engine: Engine) -> None:
    from reports.models import REPORT_INDEXES

    with engine.begin() as connection:
        for index in REPORT_INDEXES:
            index.create(connection)


# -- timing ----------------------------------------------------------------------------------------------


def median_time(run: Callable[[], object], repeat: int) -> float:
    run()  # warm-up: caches, plans, imports
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def once(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def reports(engine: Engine, use_summaries: bool) -> dict[str, Callable[[], object]]:
    from reports.figures import summary_report, unanswered_report
    from reports.scope import resolve_scope

    def report(first: date, last: date, specialty: str | None = None, unanswered: bool = False) -> Callable[[], object]:
        def run() -> object:
            with Session(engine) as session:
                scope = resolve_scope(session, first, last, specialty=specialty)
                if unanswered:
                    return unanswered_report(session, scope, NOW, limit=50, use_summaries=use_summaries)
                return summary_report(session, scope, NOW, use_summaries=use_summaries)

        return run

    return {
        "main report: whole hotline, whole year": report(FIRST_DAY, LAST_DAY),
        "one month (March: a DST change)": report(date(2025, 3, 1), date(2025, 3, 31)),
        "one specialty, whole year": report(FIRST_DAY, LAST_DAY, specialty="neurology"),
        "unanswered calls, first page of 50, year": report(FIRST_DAY, LAST_DAY, unanswered=True),
    }


def summary_rows(engine: Engine) -> str:
    from reports.models import SUMMARY_TABLES

    with Session(engine) as session:
        counts = {table.__tablename__: session.scalar(select(func.count()).select_from(table)) for table in SUMMARY_TABLES}
    return ", ".join(f"{name} {count:,}" for name, count in counts.items())


def bench(label: str, url: str, attempt_target: int, repeat: int, seed: int) -> None:
    from core import migrations
    from core.db import make_engine
    from reports import summaries

    engine = make_engine(url)
    try:
        migrations.upgrade(engine)
        deadline = "deadline_at" in {c["name"] for c in inspect(engine).get_columns("callback_request")}
        specialty_ids, senior_ids = seed_rota(engine)
        drop_report_indexes(engine)  # the baseline runs without them (and the load is faster)
        if engine.dialect.name == "postgresql":
            started = time.perf_counter()
            counts = generate_in_sql(engine, attempt_target, specialty_ids, senior_ids, seed)
            print(
                f"\n== {label}: {counts['call']:,} calls, {counts['attempt']:,} attempts, {counts['callback_request']:,} callback requests"
            )
            print(
                f"   generated and written by PostgreSQL in {time.perf_counter() - started:.1f} s (INSERT ... SELECT FROM generate_series)"
            )
        else:
            started = time.perf_counter()
            year = generate(attempt_target, specialty_ids, senior_ids, seed, deadline)
            generated = time.perf_counter() - started
            started = time.perf_counter()
            load(engine, year, deadline)
            loaded = time.perf_counter() - started
            print(f"\n== {label}: {len(year.calls):,} calls, {len(year.attempts):,} attempts, {len(year.callbacks):,} callback requests")
            print(f"   generated in {generated:.1f} s; bulk-loaded in {loaded:.1f} s (executemany, before the report's indexes exist)")
            del year

        refresh_statistics(engine)
        baseline = {name: once(run) for name, run in reports(engine, use_summaries=False).items()}

        started = time.perf_counter()
        create_report_indexes(engine)
        refresh_statistics(engine)
        indexed = time.perf_counter() - started
        started = time.perf_counter()
        with Session(engine) as session:
            days = sum(summaries.summarise_sealed(session, NOW).values())  # what the nightly job does
        summarised_in = time.perf_counter() - started
        refresh_statistics(engine)  # what autovacuum does after the nightly job's inserts (visibility map, statistics)
        print(f"   report indexes built + statistics refreshed in {indexed:.1f} s; {days} days summarised in {summarised_in:.1f} s")
        print(f"   summary rows: {summary_rows(engine)}")
        fast = {name: median_time(run, repeat) for name, run in reports(engine, use_summaries=True).items()}

        width = max(len(name) for name in fast)
        print(f"   {'':<{width}}  {'baseline':>9}  {'indexed + summaries':>19}  {'ratio':>6}")
        for name in fast:
            print(f"   {name:<{width}}  {baseline[name]:>8.3f}s  {fast[name]:>18.3f}s  {baseline[name] / fast[name]:>5.0f}x")
        print(f"   baseline: no report index, every day read from the call log (one run); then the median of {repeat} runs after a warm-up")
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--attempts", type=int, help="attempts to generate (default: 10,000,000 on PostgreSQL, 1,000,000 on SQLite, loaded from Python)"
    )
    parser.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each summarised report after a warm-up (median shown)")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # figures as they come, even into a file
    load = os.getloadavg()[0]
    print(f"bench.reports: a year of calls, {FIRST_DAY} .. {LAST_DAY} ({ZONE.key}); load average {load:.1f} on {os.cpu_count()} CPUs")
    if args.backend in ("postgresql", "both"):
        with postgres_database() as url:
            bench("PostgreSQL", url, args.attempts or 10_000_000, args.repeat, args.seed)
    if args.backend in ("sqlite", "both"):
        with sqlite_database() as url:
            bench("SQLite", url, args.attempts or 1_000_000, args.repeat, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
