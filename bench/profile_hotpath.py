"""Where does the time of one webhook go? In-process profile of the two hot webhooks, without a server.

    python -m bench.profile_hotpath                    (SQLite and, if reachable, PostgreSQL)
    python -m bench.profile_hotpath --backend postgresql --requests 1000 --dump /tmp/menu.prof

:mod:`bench.webhooks` says *how fast*; this says *why*. Each webhook gets the same signed requests as in
the load test, sent one at a time straight into the WSGI app (no gunicorn, no HTTP), three ways:

1. plain, for the real cost per request: wall and CPU time, SQL statements and the time spent inside
   the database driver (execute calls, round trip included);
2. under cProfile, for the split: the inclusive time of each of our functions and of the library steps
   on the hot path (form parsing, HMAC, ORM flush, commit, TwiML serialisation...). cProfile slows
   Python code more than C code, so shares are indicative; they are shown as % of the profiled request
   and as milliseconds scaled to the plain run.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.webhooks import (
    GP_NUMBER,
    HOTLINE,
    MENU,
    ROOT,
    STATUS,
    SWITCHBOARD,
    VOICE,
    bench_databases,
    call_params,
    menu_params,
    new_call_sid,
    open_calls,
    signed,
    status_params,
)

PUBLIC_BASE_URL = "http://127.0.0.1:5000"

# Library steps worth naming, as (label, end of the file path, function name). Inclusive times; the
# indentation says what contains what.
LIBRARY_STEPS = [
    ("Flask request handling (all)", "flask/app.py", "wsgi_app"),
    ("  before_request: signature check (all)", "webhooks/views.py", "require_twilio_signature"),
    ("    form parsing (werkzeug)", "werkzeug/wrappers/request.py", "_load_form_data"),
    ("    HMAC-SHA1 check (twilio RequestValidator.validate)", "twilio/request_validator.py", "validate"),
    ("  view function (all)", "flask/app.py", "dispatch_request"),
    ("    SQLAlchemy Session.execute (all ORM queries)", "sqlalchemy/orm/session.py", "execute"),
    ("    SQLAlchemy statement compile/cache lookup", "sqlalchemy/sql/elements.py", "_compile_w_cache"),
    ("    SQLAlchemy ORM flush", "sqlalchemy/orm/session.py", "flush"),
    ("    SQLAlchemy Session.commit", "sqlalchemy/orm/session.py", "commit"),
    ("    connection checkout from the pool", "sqlalchemy/pool/base.py", "_checkout"),
    ("      pool pre-ping (a SELECT 1 round trip, PostgreSQL engine only)", "sqlalchemy/engine/default.py", "_do_ping_w_event"),
    ("    ORM eager loads (selectinload: one more query each)", "sqlalchemy/orm/strategies.py", "_load_for_path"),
    ("    TwiML serialisation (VoiceResponse -> str)", "twilio/twiml/__init__.py", "to_xml"),
    ("    phone number parsing (phonenumbers.parse)", "phonenumbers/phonenumberutil.py", "parse"),
    ("  teardown: Session.close", "sqlalchemy/orm/session.py", "close"),
    ("logging calls", "logging/__init__.py", "_log"),
]


@dataclass
class Plain:
    wall_ms: float
    cpu_ms: float
    statements: float
    driver_ms: float


def build_app(database_url: str, token: str, extra: dict[str, str] | None = None):
    from app import create_hotline_app

    return create_hotline_app(
        {
            **(extra or {}),
            "RECOURS_ENV": "development",  # the notification backend that only logs
            "SECRET_KEY": secrets.token_hex(16),
            "DATABASE_URL": database_url,
            "TWILIO_AUTH_TOKEN": token,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "HOTLINE_NUMBER": HOTLINE,
            "FALLBACK_NUMBER": SWITCHBOARD,
        }
    )


def menu_action(app, token: str) -> str:
    """The menu's URL (path and query) as our answer to a new call hands it to Twilio: the menu
    requests go there, with the call's state, as Twilio's do."""
    from urllib.parse import urlsplit
    from xml.etree import ElementTree

    params = call_params(new_call_sid())
    signature, _ = signed(token, PUBLIC_BASE_URL, VOICE, params)
    answer = app.test_client().post(VOICE, data=params, headers={"X-Twilio-Signature": signature})
    action = urlsplit(ElementTree.fromstring(answer.data).find("Gather").get("action"))
    return action.path + (f"?{action.query}" if action.query else "")


def request_makers(app, token: str, path: str, sids: list[str], url_path: str | None = None) -> list[Callable[[], bytes]]:
    """One callable per request that runs it through the WSGI app and returns the body.

    The WSGI environ is built beforehand, so the figures hold the app's work, not a test client's.
    """
    from werkzeug.test import EnvironBuilder

    make_params = {MENU: menu_params, STATUS: status_params}.get(path, call_params)
    url_path = url_path or path
    calls = []
    for sid in sids:
        params = make_params(sid)
        signature, body = signed(token, PUBLIC_BASE_URL, url_path, params)
        path_only, _, query = url_path.partition("?")
        builder = EnvironBuilder(
            path=path_only,
            query_string=query or None,
            method="POST",
            data=body.encode(),
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": signature},
        )
        environ = builder.get_environ()
        raw = body.encode()

        def call(environ: dict[str, Any] = environ, raw: bytes = raw) -> bytes:
            status: list[str] = []
            chunks = app({**environ, "wsgi.input": io.BytesIO(raw)}, lambda s, _h, _e=None: status.append(s))
            data = b"".join(chunks)
            if not status[0].startswith("200"):
                raise RuntimeError(f"{path} answered {status[0]}: {data[:300]!r}")
            return data

        calls.append(call)
    return calls


@contextlib.contextmanager
def driver_timer(engine) -> Iterator[list[float]]:
    """[statements, seconds inside cursor.execute] while the block runs."""
    from sqlalchemy import event

    totals = [0.0, 0.0]
    started: list[float] = []
    mine = threading.get_ident()  # the requests' thread (not the journal's writer, not the snapshot's keeper)

    def before(*_args: Any) -> None:
        if threading.get_ident() == mine:
            started.append(time.perf_counter())

    def after(*_args: Any) -> None:
        if threading.get_ident() == mine:
            totals[0] += 1
            totals[1] += time.perf_counter() - started.pop()

    engines = [engine] if not isinstance(engine, list | tuple) else list(engine)
    for one in engines:
        event.listen(one, "before_cursor_execute", before)
        event.listen(one, "after_cursor_execute", after)
    try:
        yield totals
    finally:
        for one in engines:
            event.remove(one, "before_cursor_execute", before)
            event.remove(one, "after_cursor_execute", after)


def run_plain(engine, calls: list[Callable[[], bytes]], marker: bytes) -> Plain:
    with driver_timer(engine) as driver:
        wall, cpu = time.perf_counter(), time.process_time()
        for call in calls:
            if marker not in call():
                raise RuntimeError(f"unexpected answer (no {marker!r}): the app is failing, nothing to profile")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    n = len(calls)
    return Plain(1000 * wall / n, 1000 * cpu / n, driver[0] / n, 1000 * driver[1] / n)


def inclusive(stats: pstats.Stats, file_end: str, name: str) -> float:
    """Inclusive seconds of the function; with several of that name in the file, the largest (nested
    same-named functions would otherwise count twice)."""
    best = 0.0
    for (file, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if func == name and file.replace("\\", "/").endswith(file_end):
            best = max(best, ct)
    return best


def ours(stats: pstats.Stats) -> list[tuple[str, float, int]]:
    """(name, inclusive seconds, calls) of every function in the project (not bench/, not tests/)."""
    root = str(ROOT) + os.sep
    rows = []
    for (file, line, func), (_cc, nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if file.startswith(root) and not file.startswith((str(ROOT / "bench"), str(ROOT / "tests"), str(ROOT / ".venv"))):
            rows.append((f"{Path(file).relative_to(ROOT)}:{line} {func}", ct, nc))
    return sorted(rows, key=lambda row: -row[1])


def profile_webhook(label: str, app, token: str, database_url: str, path: str, n: int, dump: str | None) -> None:
    database = app.extensions["recours.db"]
    # The webhooks have engines of their own (one in autocommit for single statements, on PostgreSQL).
    engine = list(database.engines())
    marker = {VOICE: b"<Gather", MENU: b"<Number", STATUS: b"<Response"}[path]
    url_path = menu_action(app, token) if path == MENU else path

    def batch(size: int) -> list[Callable[[], bytes]]:
        sids = [new_call_sid() for _ in range(size)]
        if path in (MENU, STATUS):
            open_calls(database_url, sids)
        return request_makers(app, token, path, sids, url_path)

    run_plain(engine, batch(50), marker)  # warm caches: compiled statements, imports, pool
    plain = run_plain(engine, batch(n), marker)

    profiled_calls = batch(n)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for call in profiled_calls:
        call()
    profiler.disable()
    profiled_ms = 1000 * (time.perf_counter() - started) / n
    if dump:
        profiler.dump_stats(f"{dump}.{label.split()[-1].lower()}.{path.rsplit('/', 1)[-1]}")
    stats = pstats.Stats(profiler, stream=io.StringIO())
    total = inclusive(stats, "flask/app.py", "wsgi_app") or 1e-9

    def show(name: str, seconds: float, calls: int | None = None) -> None:
        share = seconds / total
        per = f"{calls / n:5.1f}x" if calls is not None else "      "
        print(f"    {name:<70} {per} {100 * share:5.1f}%  ~{share * plain.wall_ms:6.2f} ms")

    print(f"\n{label} {url_path}: {n} requests, one at a time, in-process")
    print(
        f"  plain run: {plain.wall_ms:.2f} ms wall, {plain.cpu_ms:.2f} ms CPU per request;"
        f" {plain.statements:.1f} SQL statements, {plain.driver_ms:.2f} ms inside the driver (execute, round trip included)"
    )
    print(f"  under cProfile: {profiled_ms:.2f} ms per request; shares below are of the profiled request, ms scaled to the plain run")
    print("  library steps (inclusive):")
    for name, file_end, func in LIBRARY_STEPS:
        seconds = inclusive(stats, file_end, func)
        if seconds:
            show(name, seconds)
    print("  our functions (inclusive, top 18):")
    for name, seconds, calls in ours(stats)[:18]:
        show(name, seconds, calls)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_hotpath", description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--requests", type=int, default=500, help="requests per webhook and pass (default 500)")
    parser.add_argument("--only", choices=[VOICE, MENU, STATUS], help="one webhook only")
    parser.add_argument("--write-behind", choices=["true", "false"], help="CALLLOG_WRITE_BEHIND (default: the app's default)")
    parser.add_argument("--dump", help="also write the raw cProfile data to DUMP.<backend>.<webhook> (for snakeviz, pstats)")
    args = parser.parse_args(argv)
    os.environ["LOG_LEVEL"] = "WARNING"
    token = secrets.token_hex(16)

    def profile(label: str, database_url: str) -> None:
        app = build_app(database_url, token, {"CALLLOG_WRITE_BEHIND": args.write_behind} if args.write_behind else None)
        try:
            for path in [args.only] if args.only else (VOICE, MENU, STATUS):
                profile_webhook(label, app, token, database_url, path, args.requests, args.dump)
        finally:
            app.extensions["recours.db"].engine.dispose()

    for label, url in bench_databases(args.backend, "recours-profile-"):
        profile(label, url)
    print(f"\n(caller used for every call: {GP_NUMBER}, a known GP; menu choice: Digits=1, neurology)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
