"""How fast do our two busiest webhooks answer Twilio, compared with what Flask itself can do here?

    python -m bench.webhooks            (or: make bench)
    python -m bench.webhooks --help     (durations, gunicorn shape, which apps)

One run measures, under the same gunicorn configuration and the same load:

* the ceiling: :mod:`bench.bare_app`, a bare Flask app answering a static copy of our menu TwiML;
* :mod:`bench.toy_ivr`, the toy IVR (signature checked, TwiML built, no database), and with PostgreSQL
  the "toy IVR + log", which also writes one row per request in a single prepared statement: what
  logging each webhook before answering costs at the least here;
* Recours on SQLite (a temporary file) and on PostgreSQL (a temporary database, dropped at the end);
* on Recours, ``POST /twilio/voice`` (a new call: greeting and menu) and ``POST /twilio/menu`` with
  ``Digits=1`` (one choice per call created beforehand: picks the hunt list, starts the hunt), posted
  to the Gather action of our answer to a new call, query and call state included, as Twilio does;
  ``POST /twilio/status`` ends a call (the log must show it ended);
* with ``--before TREE``, Recours served from another checkout too, in the same rounds: a change's
  effect as a ratio within each round.

Every request is signed exactly as Twilio signs it, and every answer is checked (200, text/xml, the
TwiML we expect): our error handler answers a 200 "switchboard" document on failure, so a status code
alone would hide errors. The load is ``wrk`` replaying pre-signed requests (``bench/wrk_cycle.lua``):
a C client takes little of the two cores the server needs, where a Python client would compete with it.

A second figure comes from the call simulator: the simulated seconds between the answer and the first
senior's phone ringing for a GP who presses 1 during the greeting.

Figures go to the terminal and to ``bench/results/webhooks-<time>.json``. The exit status is 1 when a
run had errors (its figures are then not valid), 2 when wrk is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import http.client
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
WRK_SCRIPT = ROOT / "bench" / "wrk_cycle.lua"

HOTLINE = "+33199000000"
SWITCHBOARD = "+33199000099"
GP_NUMBER = "+33199000201"  # Dr Alice Renaud in demo.seed: a known GP, so the caller lookup finds a row
ACCOUNT_SID = "AC" + "0" * 32
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

VOICE, MENU, STATUS = "/twilio/voice", "/twilio/menu", "/twilio/status"
# What a good answer must contain (checked on every response by the wrk script): the menu's Gather for
# a new call, a Dial to a senior's Number for the menu choice. The switchboard fallback has neither. A
# status callback's answer is empty either way: the log is checked instead (see measure).
MARKERS = {VOICE: "<Gather", MENU: "<Number", STATUS: "<Response"}

# The settings handed to an in-process app (the gunicorn servers get them through the environment).
APP_SETTINGS = (
    "DATABASE_URL",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_ACCOUNT_SID",
    "PUBLIC_BASE_URL",
    "HOTLINE_NUMBER",
    "FALLBACK_NUMBER",
    "SECRET_KEY",
    "RECOURS_ENV",
)

# The toy IVR that also writes one row per request to PostgreSQL (bench.toy_ivr): the floor of a logging IVR.
TOY_WITH_LOG = "toy IVR + log"
TARGET_RATIO = 0.6
TARGET_P99_MS = 20.0
TARGET_RSS_MB = 80.0
TARGET_FIRST_RING_S = 6.0


# -- gunicorn ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GunicornConfig:
    """The one server configuration every app is measured under.

    Two cores, shared with wrk and (for the PostgreSQL runs) the database server. One Python process
    uses one core at most (the GIL), so two worker processes are needed to use both; more would only
    fight wrk and PostgreSQL for the same two cores. ``gthread`` because the sync worker has no
    keep-alive (it closes the connection after every response, and the load keeps its connections),
    and because threads let a worker keep its core busy while another request waits on the database.
    Four threads per worker cover that wait; more add no throughput to CPU-bound Python but add
    latency, since every extra runnable thread queues for the GIL (5 ms switch interval). Idle
    keep-alive connections hold no thread in gthread, so 2 x 4 threads serve the 16 connections, and
    4 stays below SQLAlchemy's pool of 10: no request waits for a database connection.
    Tried on this machine (noisy, PostgreSQL, 16 connections): 2 x 1 gave about a third of the
    throughput of 2 x 4; 3 x 2 and 4 x 1 gave less; 2 x 8 (the README's production line) about the
    same throughput with a worse p99. ``--workers``/``--threads`` measure another shape.
    """

    workers: int = 2
    threads: int = 4
    keep_alive: int = 5

    def arguments(self) -> list[str]:
        return [
            "--worker-class=gthread",
            f"--workers={self.workers}",
            f"--threads={self.threads}",
            f"--keep-alive={self.keep_alive}",
            "--graceful-timeout=5",
            "--log-level=warning",
            # As in production (gunicorn.conf.py): the app is built in the master before the workers fork.
            "--preload",
            # gunicorn 27 opens a control socket at a fixed path by default; two servers would collide.
            "--no-control-socket",
        ]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    served: int = 0  # requests answered so far, warm-ups included

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_request(port: int, method: str, path: str, body: str = "", headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    """One request to 127.0.0.1 with http.client (which, unlike urllib, never goes through a proxy)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body.encode(), headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def gunicorn(
    name: str, app_spec: str, env: dict[str, str], config: GunicornConfig, port: int, log_path: Path, cwd: Path = ROOT
) -> Iterator[Server]:
    """Start gunicorn on ``127.0.0.1:port``, wait until /healthz answers, and stop it afterwards.
    ``cwd``: the tree served (another checkout with ``--before``); its gunicorn.conf.py is read too."""
    command = [sys.executable, "-m", "gunicorn", app_spec, f"--bind=127.0.0.1:{port}", *config.arguments()]
    with open(log_path, "wb") as log:
        # A session of its own: Ctrl-C reaches only the benchmark, which then stops the server in order
        # (instead of the server dying under a running wrk).
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(name, port, process, log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn for {name} exited with {process.returncode}:\n{_log_tail(log_path)}")
            with contextlib.suppress(OSError):
                if http_request(port, "GET", "/healthz")[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn for {name} not ready after 30 s:\n{_log_tail(log_path)}")
            time.sleep(0.1)
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (graceful: workers finish their request), then SIGKILL if it hangs; only our own child."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server_log_problems(path: Path) -> list[str]:
    """Lines of the server log that mean something went wrong (the app logs at WARNING and above)."""
    words = ("Traceback", " ERROR ", "[ERROR]", "[CRITICAL]", "WORKER TIMEOUT", "refused unsigned")
    return [line for line in _log_tail(path, 10_000).splitlines() if any(w in line for w in words)]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of gunicorn's master and workers, from /proc (0 where unavailable)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
                # After the command name: state ppid ... utime (11th) stime (12th).
                if int(entry.name) == pid or int(fields[1]) == pid:
                    total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    with contextlib.suppress(OSError, ValueError):
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        ticks = os.sysconf("SC_CLK_TCK")
        return (sum(values) - idle) / ticks, sum(values) / ticks
    return 0.0, 0.0


# -- databases --------------------------------------------------------------------------------------


def prepare_database(url: str) -> None:
    """Migrate and seed the demo hospital, duty starting yesterday (Paris time) so now is covered."""
    from sqlalchemy.orm import Session

    from core import migrations
    from core.db import make_engine
    from demo.seed import seed_demo

    engine = make_engine(url)
    try:
        migrations.upgrade(engine)
        with Session(engine) as session:
            seed_demo(session, datetime.now(ZoneInfo("Europe/Paris")).date())
            session.commit()
    finally:
        engine.dispose()


def postgres_reachable() -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A uniquely named database for this run, dropped WITH (FORCE) whatever happens (errors, Ctrl-C)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"recours_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
            prepare_database(url)
            yield url
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def bench_databases(backend: str, prefix: str) -> Iterator[tuple[str, str]]:
    """``(label, url)`` of the databases an in-process bench runs on, each prepared and dropped after:
    a temporary SQLite file (``backend`` sqlite or both) and a temporary PostgreSQL database (postgresql
    or both; said and skipped when PostgreSQL is not reachable). Iterate it to the end."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        if backend in ("sqlite", "both"):
            url = f"sqlite:///{Path(tmp) / 'recours.sqlite3'}"
            prepare_database(url)
            yield "Recours SQLite", url
        if backend in ("postgresql", "both"):
            why_not = postgres_reachable()
            if why_not is not None:
                print(f"\nPostgreSQL skipped: not reachable at {POSTGRES_ADMIN_URL} ({why_not})")
            else:
                with postgres_database() as url:
                    yield "Recours PostgreSQL", url


def open_calls(url: str, sids: list[str]) -> None:
    """Create the calls that the menu requests will act on, as ``/twilio/voice`` leaves them.

    The first goes through :func:`calllog.operations.open_call`, the code the webhook runs; the others
    copy its row in one bulk INSERT (a second for thousands of calls, instead of a minute of webhooks).
    """
    from sqlalchemy import insert, inspect
    from sqlalchemy.orm import Session

    from calllog import operations
    from calllog.models import Call
    from core import clock
    from core.db import make_engine

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            first = operations.open_call(session, sids[0], GP_NUMBER, HOTLINE, clock.now())
            # Columns the webhook left NULL stay out of the INSERT, so they stay NULL (not JSON null).
            row = {attr.key: getattr(first, attr.key) for attr in inspect(Call).column_attrs if attr.key not in ("id", "sid")}
            row = {key: value for key, value in row.items() if value is not None}
            for start in range(1, len(sids), 5000):
                session.execute(insert(Call), [{**row, "sid": sid} for sid in sids[start : start + 5000]])
            session.commit()
    finally:
        engine.dispose()


# -- signed requests --------------------------------------------------------------------------------


def new_call_sid() -> str:
    return "CA" + uuid.uuid4().hex


def call_params(sid: str) -> dict[str, str]:
    """What Twilio posts for an incoming call to the hotline (the parameters count for the signature)."""
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": sid,
        "CallStatus": "ringing",
        "Called": HOTLINE,
        "CalledCountry": "FR",
        "Caller": GP_NUMBER,
        "CallerCountry": "FR",
        "Direction": "inbound",
        "From": GP_NUMBER,
        "FromCountry": "FR",
        "To": HOTLINE,
        "ToCountry": "FR",
    }


def menu_params(sid: str) -> dict[str, str]:
    """What Twilio posts to the menu Gather's action when the GP pressed 1."""
    return {**call_params(sid), "CallStatus": "in-progress", "Digits": "1", "FinishedOnKey": "", "msg": "Gather End"}


def status_params(sid: str) -> dict[str, str]:
    """The status callback of the GP's call ending (the account's "call status changes" URL)."""
    return {
        **call_params(sid),
        "CallStatus": "completed",
        "CallDuration": "42",
        "Duration": "1",
        "SequenceNumber": "3",
        "CallbackSource": "call-progress-events",
        "Timestamp": email.utils.format_datetime(datetime.now(UTC), usegmt=True),
    }


PARAMS = {VOICE: call_params, MENU: menu_params, STATUS: status_params}


def signed(token: str, public_base_url: str, path: str, params: dict[str, str]) -> tuple[str, str]:
    """(X-Twilio-Signature, form body), signed as Twilio does: over the public URL and the POST fields."""
    signature = RequestValidator(token).compute_signature(public_base_url + path, params)
    return signature, urlencode(params)


def write_requests(file: Path, token: str, public_base_url: str, path: str, sids: list[str], url_path: str | None = None) -> None:
    """The request file the wrk script replays: "path<TAB>signature<TAB>body" per line. ``url_path``:
    the path and query Twilio posts to (the menu's is the Gather action, with the call's state)."""
    url_path = url_path or path
    with open(file, "w") as out:
        for sid in sids:
            signature, body = signed(token, public_base_url, url_path, PARAMS[path](sid))
            out.write(f"{url_path}\t{signature}\t{body}\n")


def preflight(server: Server, token: str) -> tuple[str, str]:
    """One signed new call, its menu choice and its end, checked in full; returns the menu TwiML and
    the menu's URL path as that TwiML's Gather hands it to Twilio (query and call state included):
    the menu requests of the load go there, as Twilio's would.

    Fails early with the server's answer and log rather than measuring an app that is broken.
    """
    sid = new_call_sid()
    answers = {}
    menu_path = MENU
    for path, expected in ((VOICE, "Gather"), (MENU, "Dial/Number"), (STATUS, None)):
        url_path = menu_path if path == MENU else path
        signature, body = signed(token, server.base_url, url_path, PARAMS[path](sid))
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        status, content_type, text = http_request(server.port, "POST", url_path, body, headers)
        root = None
        with contextlib.suppress(ElementTree.ParseError):
            root = ElementTree.fromstring(text)
        good = status == 200 and content_type.startswith("text/xml") and root is not None and root.tag == "Response"
        good = good and (expected is None or root.find(expected) is not None)
        if not good:
            raise RuntimeError(f"{server.name}: {path} answered {status} {content_type}: {text[:500]}\n{_log_tail(server.log_path)}")
        answers[path] = text
        if path == VOICE:
            action = urlsplit(root.find("Gather").get("action") or MENU)
            menu_path = action.path + (f"?{action.query}" if action.query else "")
    return answers[VOICE], menu_path


def calls_closed(url: str, sids: list[str], expected: int, wait: float = 5.0) -> int:
    """How many of these calls the log shows ended (what a good answer to their status callback did).
    With the log written behind (CALLLOG_WRITE_BEHIND) the writer needs a moment: asked again until
    ``expected`` calls are closed or ``wait`` seconds have passed (the log a manager reads must be
    complete within a couple of seconds)."""
    from sqlalchemy import func, select

    from calllog.models import Call
    from core.db import make_engine

    engine = make_engine(url)
    try:
        until = time.monotonic() + wait
        while True:
            with engine.connect() as connection:
                closed = sum(
                    connection.scalar(
                        select(func.count()).select_from(Call).where(Call.sid.in_(sids[start : start + 1000]), Call.ended_at.is_not(None))
                    )
                    for start in range(0, len(sids), 1000)
                )
            if closed >= expected or time.monotonic() > until:
                return closed
            time.sleep(0.5)
    finally:
        engine.dispose()


# -- load -------------------------------------------------------------------------------------------


@dataclass
class Figures:
    """One measured run: an app, a webhook, the load, what came back."""

    app: str
    webhook: str
    round: int = 0
    connections: int = 0
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    errors: int = 0
    error_detail: dict[str, Any] = field(default_factory=dict)
    server_cpu_ms_per_request: float = 0.0
    machine_busy_percent: float = 0.0
    ratio_to_bare: float | None = None  # this round's throughput over the bare app's in the same round

    @property
    def label(self) -> str:
        return f"{self.app} {self.webhook}"


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(server: Server, requests_file: Path, marker: str, seconds: int, connections: int, threads: int) -> dict[str, Any]:
    """Run wrk against the server with the replay script; returns the script's figures."""
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        f"--script={WRK_SCRIPT}",
        server.base_url,
        "--",
        str(requests_file),
        marker,
        str(threads),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            figures = json.loads(line.removeprefix("BENCH_JSON "))
            server.served += figures["requests"]
            return figures
    raise RuntimeError(f"wrk gave no figures (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


@dataclass(frozen=True)
class Load:
    """One load shape: wrk's connections and threads, warm-up and measured seconds.

    wrk is closed-loop (each connection sends its next request when the answer arrived), so at 16
    connections latency is mostly queueing: mean latency = 16 / throughput. The single-connection
    shape measures the service time of one request on an otherwise idle server.
    """

    connections: int = 16
    wrk_threads: int = 2
    warmup: int = 2
    duration: int = 5


@dataclass
class Target:
    """What is measured: a server, one of its webhooks, and (for Recours) its database."""

    server: Server
    app: str
    path: str
    database_url: str | None = None
    url_path: str | None = None  # where the requests go, if not ``path`` (the menu's Gather action)

    @property
    def stateful(self) -> bool:
        return self.database_url is not None


def measure(target: Target, load: Load, workdir: Path, token: str, round_number: int) -> Figures:
    """Warm up, then measure one webhook of one server.

    For Recours every request carries a CallSid of its own (menu choices and status callbacks act on
    calls created beforehand), so the measured run needs a pool of requests large enough for its
    duration: it is sized from the warm-up's throughput with a margin, and a pool that still ran out
    is an error. The baselines keep no state and replay a small pool.
    """
    server, path = target.server, target.path
    marker = MARKERS[path] if target.stateful else "<Response"

    def pool(name: str, size: int) -> tuple[Path, list[str]]:
        sids = [new_call_sid() for _ in range(size)]
        if target.stateful and path in (MENU, STATUS):
            open_calls(target.database_url, sids)
        file = workdir / f"{name}.requests"
        write_requests(file, token, server.base_url, path, sids, target.url_path)
        return file, sids

    warm_size = 2000 if not target.stateful else 3000 * load.warmup
    warm = run_wrk(server, pool("warmup", warm_size)[0], marker, load.warmup, load.connections, load.wrk_threads)
    warm_rps = warm["requests"] / max(warm["duration_us"] / 1e6, 1e-3)
    size = 2000 if not target.stateful else min(400_000, math.ceil(max(warm_rps, 500) * load.duration * 2) + 2000)
    requests_file, sids = pool("measure", size)

    cpu_before, (busy_before, total_before) = cpu_seconds(server.process.pid), machine_busy_seconds()
    raw = run_wrk(server, requests_file, marker, load.duration, load.connections, load.wrk_threads)
    cpu_after, (busy_after, total_after) = cpu_seconds(server.process.pid), machine_busy_seconds()

    seconds = raw["duration_us"] / 1e6
    socket_errors = sum(raw["socket_errors"].values())
    wrapped = raw["wrapped"] if target.stateful else 0
    # A status callback's answer is an empty <Response/> whether or not the call was recorded (Twilio
    # ignores it): the log itself must show each answered call ended.
    answered = raw["requests"]
    unrecorded = max(0, answered - calls_closed(target.database_url, sids, answered)) if target.stateful and path == STATUS else 0
    figures = Figures(
        app=target.app,
        webhook=path if target.stateful or target.app.startswith("toy") else "(static TwiML)",
        round=round_number,
        connections=load.connections,
        requests=raw["requests"],
        seconds=round(seconds, 2),
        rps=round(raw["requests"] / seconds, 1),
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        errors=socket_errors + raw["http_errors"] + raw["bad_answers"] + wrapped + unrecorded,
        server_cpu_ms_per_request=round(1000 * (cpu_after - cpu_before) / max(raw["requests"], 1), 3),
        machine_busy_percent=round(100 * (busy_after - busy_before) / max(total_after - total_before, 1e-9), 1),
    )
    figures.error_detail = {
        "socket": raw["socket_errors"],
        "http_status": raw["http_errors"],
        "bad_answers": raw["bad_answers"],
        "pool_wrapped": wrapped,
        "status_not_recorded": unrecorded,
        "first_bad_answer": raw["sample"],
    }
    return figures


def worker_rss_mb(server: Server, field: str = "VmRSS") -> list[float]:
    """Resident memory (VmRSS) of each of the server's worker processes, in MB. ``field="Pss"``: each
    worker's proportional share instead (pages shared with the master and the other workers, such as
    the preloaded app's, counted for a fraction), from /proc/<pid>/smaps_rollup."""
    sizes = []
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, ValueError, IndexError):
                if int(Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[1]) != server.process.pid:
                    continue
                source = "status" if field.startswith("Vm") else "smaps_rollup"
                for line in Path(entry.path, source).read_text().splitlines():
                    if line.startswith(f"{field}:"):
                        sizes.append(int(line.split()[1]) / 1024)
    return sorted(sizes)


# -- the servers ------------------------------------------------------------------------------------


def recours_env(database_url: str, token: str, public_base_url: str) -> dict[str, str]:
    """The app's settings, through the environment as in production (see core.config)."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "TWILIO_AUTH_TOKEN": token,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "PUBLIC_BASE_URL": public_base_url,
        "HOTLINE_NUMBER": HOTLINE,
        "FALLBACK_NUMBER": SWITCHBOARD,
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": secrets.token_hex(16),
        "RECOURS_ENV": "development",
    }


def sample_menu_twiml(database_url: str, token: str) -> str:
    """Our real answer to a new call, made in-process, so the bare app can send the same bytes."""
    from app import create_app

    public_base_url = "http://127.0.0.1:5000"
    env = recours_env(database_url, token, public_base_url)
    app = create_app({key: env[key] for key in APP_SETTINGS})
    try:
        params = call_params(new_call_sid())
        signature, _ = signed(token, public_base_url, VOICE, params)
        response = app.test_client().post(VOICE, data=params, headers={"X-Twilio-Signature": signature})
        if response.status_code != 200 or b"<Gather" not in response.data:
            raise RuntimeError(f"Recours did not answer a new call with the menu: {response.status_code} {response.data[:300]!r}")
        return response.get_data(as_text=True)
    finally:
        app.extensions["recours.db"].engine.dispose()


def start_servers(
    stack: contextlib.ExitStack, args: argparse.Namespace, config: GunicornConfig, workdir: Path, token: str, report: dict[str, Any]
) -> tuple[list[Target], list[Target]]:
    """Every server of the run, started once and kept up (idle between its measures): the bare app,
    the toy IVR (and with PostgreSQL the toy IVR + log), Recours on SQLite and on PostgreSQL. Returns
    (baselines, Recours targets)."""
    sqlite_url = f"sqlite:///{workdir / 'recours.sqlite3'}"
    prepare_database(sqlite_url)
    menu_twiml = sample_menu_twiml(sqlite_url, token)

    def serve(name: str, app_spec: str, env_for, cwd: Path = ROOT) -> Server:
        port = free_port()
        log_path = workdir / f"gunicorn-{name.replace(' ', '-')}.log"
        print(f"  {name}: gunicorn on :{port}" + ("" if cwd == ROOT else f" (from {cwd})"), flush=True)
        return stack.enter_context(gunicorn(name, app_spec, env_for(f"http://127.0.0.1:{port}"), config, port, log_path, cwd))

    bare = serve("bare Flask", "bench.bare_app:create_app()", lambda _base: {**os.environ, "BENCH_BARE_TWIML": menu_twiml})
    toy = serve(
        "toy IVR", "bench.toy_ivr:create_app()", lambda base: {**os.environ, "BENCH_TOY_TOKEN": token, "BENCH_PUBLIC_BASE_URL": base}
    )
    baselines = [Target(bare, "bare Flask", VOICE), Target(toy, "toy IVR", VOICE)]
    ours: list[Target] = []
    backends = []
    trees = [("", ROOT)]
    if args.before:
        trees.insert(0, (" before", Path(args.before).resolve()))  # A B: the tree before a change, then this one
    if args.only in (None, "postgresql"):
        why_not = postgres_reachable()
        if why_not is not None:
            print(f"  PostgreSQL skipped: not reachable at {POSTGRES_ADMIN_URL} ({why_not})")
            report["postgresql_skipped"] = why_not
        else:
            toy_log_url = stack.enter_context(postgres_database())
            toy_log = serve(
                TOY_WITH_LOG,
                "bench.toy_ivr:create_app()",
                lambda base: {**os.environ, "BENCH_TOY_TOKEN": token, "BENCH_PUBLIC_BASE_URL": base, "BENCH_TOY_DATABASE_URL": toy_log_url},
            )
            baselines.append(Target(toy_log, TOY_WITH_LOG, VOICE))
            for suffix, tree in trees:
                backends.append((f"Recours PostgreSQL{suffix}", stack.enter_context(postgres_database()), tree))
    if args.only in (None, "sqlite"):
        for suffix, tree in trees:
            url = sqlite_url
            if suffix:
                url = f"sqlite:///{workdir / 'recours-before.sqlite3'}"
                prepare_database(url)
            backends.append((f"Recours SQLite{suffix}", url, tree))
    for name, url, tree in backends:
        entry = "app:create_hotline_app()" if args.entry == "hotline" else "app:create_app()"
        extra = {"CALLLOG_WRITE_BEHIND": args.write_behind} if args.write_behind else {}
        server = serve(name, entry, lambda base, url=url, extra=extra: {**recours_env(url, token, base), **extra}, tree)
        _, menu_path = preflight(server, token)
        ours += [Target(server, name, path, url, menu_path if path == MENU else None) for path in (VOICE, MENU, STATUS)]
    return baselines, ours


# -- report -----------------------------------------------------------------------------------------


def print_table(figures: list[Figures]) -> None:
    columns = f"{'rnd':>3} {'app':<18} {'webhook':<15} {'conns':>5} {'req/s':>7} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    header = f"{columns} {'errors':>6} {'vs bare':>7} {'srv CPU ms/req':>14} {'CPU busy':>8}"
    print(header)
    print("-" * len(header))
    for f in figures:
        ratio = "" if f.ratio_to_bare is None else f"{f.ratio_to_bare:.2f}"
        print(
            f"{f.round:>3} {f.app:<18} {f.webhook:<15} {f.connections:>5} {f.rps:>7.0f} {f.p50_ms:>7.1f} {f.p90_ms:>7.1f}"
            f" {f.p99_ms:>7.1f} {f.max_ms:>7.1f} {f.errors:>6} {ratio:>7} {f.server_cpu_ms_per_request:>14.2f}"
            f" {f.machine_busy_percent:>7.0f}%"
        )


def summarise(figures: list[Figures], connections: int, rss: dict[str, tuple[int, list[float]]]) -> list[dict[str, Any]]:
    """One line per app and webhook: medians over the rounds, the ratio to bare with its spread."""
    lines = []
    for label in dict.fromkeys(f.label for f in figures):
        many = [f for f in figures if f.label == label and f.connections == connections]
        one = [f for f in figures if f.label == label and f.connections == 1]
        ratios = [f.ratio_to_bare for f in many if f.ratio_to_bare is not None]
        served, sizes = rss.get(many[0].app, (0, []))
        lines.append(
            {
                "label": label,
                "app": many[0].app,
                "webhook": many[0].webhook,
                "rounds": len(many),
                "rps_median": statistics.median(f.rps for f in many),
                "ratio_median": statistics.median(ratios) if ratios else None,
                "ratio_min": min(ratios) if ratios else None,
                "ratio_max": max(ratios) if ratios else None,
                "p50_ms": statistics.median(f.p50_ms for f in many),
                "p99_ms": statistics.median(f.p99_ms for f in many),
                "p99_ms_worst": max(f.p99_ms for f in many),
                "p50_ms_1": statistics.median(f.p50_ms for f in one) if one else None,
                "p99_ms_1": statistics.median(f.p99_ms for f in one) if one else None,
                "cpu_ms_per_request": statistics.median(f.server_cpu_ms_per_request for f in many),
                "requests_served": served,
                "worker_rss_mb": sizes,
            }
        )
    return lines


def print_summary(lines: list[dict[str, Any]], connections: int) -> None:
    header = (
        f"{'app':<25} {'webhook':<15} {'req/s':>6} {'x bare (min-max)':>17} {f'p50/p99 ms x{connections}':>16}"
        f" {'p50/p99 ms x1':>14} {'CPU ms/req':>10} {'worker RSS (PSS) MB (after requests)':>38}"
    )
    print(header)
    print("-" * len(header))
    for line in lines:
        ratio = "1" if line["ratio_median"] is None else f"{line['ratio_median']:.2f} ({line['ratio_min']:.2f}-{line['ratio_max']:.2f})"
        single = "" if line["p50_ms_1"] is None else f"{line['p50_ms_1']:.1f}/{line['p99_ms_1']:.1f}"
        rss = "/".join(f"{size:.0f}" for size in line["worker_rss_mb"])
        if line.get("worker_pss_mb"):
            rss += " (" + "/".join(f"{size:.0f}" for size in line["worker_pss_mb"]) + ")"
        print(
            f"{line['app']:<25} {line['webhook']:<15} {line['rps_median']:>6.0f} {ratio:>17}"
            f" {line['p50_ms']:>7.1f}/{line['p99_ms']:<8.1f} {single:>14} {line['cpu_ms_per_request']:>10.2f}"
            f" {rss:>26} ({line['requests_served']:,})"
        )


def target_lines(lines: list[dict[str, Any]]) -> list[str]:
    verdicts = []
    for line in lines:
        if line["ratio_median"] is None or not line["app"].startswith("Recours"):
            continue
        verdict = "ok" if line["ratio_median"] >= TARGET_RATIO else "MISSED"
        text = f"  {line['label']:<41} {line['ratio_median']:.2f} x bare (>= {TARGET_RATIO}) {verdict:<6}"
        if "PostgreSQL" in line["app"]:
            text += f"  p99 {line['p99_ms']:.1f} ms (<= {TARGET_P99_MS:.0f} ms) {'ok' if line['p99_ms'] <= TARGET_P99_MS else 'MISSED'}"
        biggest = max(line["worker_rss_mb"], default=0.0)
        text += f"  RSS {biggest:.0f} MB (<= {TARGET_RSS_MB:.0f}) {'ok' if biggest <= TARGET_RSS_MB else 'MISSED'}"
        verdicts.append(text)
    return verdicts


def run_load(args: argparse.Namespace, config: GunicornConfig, loads: list[Load], workdir: Path, report: dict[str, Any]) -> list[Figures]:
    """Every server up at once, then ``--rounds`` rounds: in each, the bare app, the toy IVR and every
    Recours webhook one after the other (A B A B ...), so a change in what else runs on the machine
    touches the baselines and Recours alike; each ratio is taken within its round. The single-connection
    shape runs in the first round only. Then each server is topped up to ``--rss-after`` requests per
    worker and its workers' resident memory read."""
    token = secrets.token_hex(16)
    problems: list[str] = report.setdefault("problems", [])
    figures: list[Figures] = []
    rss: dict[str, tuple[int, list[float]]] = {}
    pss: dict[str, list[float]] = {}
    print("Servers:")
    with contextlib.ExitStack() as stack:
        baselines, ours = start_servers(stack, args, config, workdir, token, report)
        targets = [*baselines, *ours]
        for number in range(1, args.rounds + 1):
            print(f"Round {number}:", flush=True)
            for load in loads if number == 1 else loads[:1]:
                bare_rps = None
                for target in targets:
                    result = measure(target, load, workdir, token, number)
                    if target.app == "bare Flask":
                        bare_rps = result.rps
                    elif bare_rps:
                        result.ratio_to_bare = round(result.rps / bare_rps, 3)
                    ratio = "" if result.ratio_to_bare is None else f" ({result.ratio_to_bare:.2f} x bare)"
                    print(f"  {target.app} {result.webhook} x{load.connections}: {result.rps:.0f} req/s{ratio}, p99 {result.p99_ms:.1f} ms,"
                          f" {result.errors} errors", flush=True)  # fmt: skip
                    figures.append(result)
        for target in targets:
            server = target.server
            if server.name in rss:
                continue
            wanted = args.rss_after * config.workers
            if server.served < wanted:
                top_up = Target(server, target.app, VOICE, target.database_url)
                seconds = 2
                marker = MARKERS[VOICE] if top_up.stateful else "<Response"
                while server.served < wanted:
                    run_wrk(server, measure_pool(top_up, workdir, token), marker, seconds, 16, 2)
                    seconds = min(seconds * 2, 16)
            rss[server.name] = (server.served, worker_rss_mb(server))
            pss[server.name] = worker_rss_mb(server, "Pss")
            problems.extend(f"{server.name} server log: {line}" for line in server_log_problems(server.log_path))
    lines = summarise(figures, loads[0].connections, rss)
    for line in lines:
        line["worker_pss_mb"] = pss.get(line["app"], [])
    report["summary"] = lines
    print("\nEvery measure (srv CPU = gunicorn master + workers; CPU busy = whole machine: server, wrk and PostgreSQL)")
    print_table(figures)
    print(f"\nMedians over {args.rounds} rounds (x bare: within each round; x1: first round only)")
    print_summary(lines, loads[0].connections)
    print("Targets:")
    for line in target_lines(lines):
        print(line)
    changes = change_lines(figures, loads[0].connections)
    if changes:
        report["change_to_before"] = changes
        print(f"\nThis tree over --before (req/s within each round, x{loads[0].connections}; CPU ms/req medians)")
        for change in changes:
            print(
                f"  {change['app']:<18} {change['webhook']:<15} {change['ratio_median']:.2f} x before"
                f" ({change['ratio_min']:.2f}-{change['ratio_max']:.2f});"
                f" CPU {change['cpu_before']:.2f} -> {change['cpu_after']:.2f} ms/req"
            )
    return figures


def change_lines(figures: list[Figures], connections: int) -> list[dict[str, Any]]:
    """Per Recours webhook served by both trees: this tree's req/s over the --before tree's, round by round."""
    by_key = {(f.app, f.webhook, f.round): f for f in figures if f.connections == connections}
    changes = []
    for app, webhook, _round in dict.fromkeys((a, w, 0) for a, w, _ in by_key):
        if app.endswith(" before") or (f"{app} before", webhook, 1) not in by_key:
            continue
        pairs = [(by_key[(f"{app} before", webhook, r)], f) for (a, w, r), f in by_key.items() if a == app and w == webhook]
        ratios = [after.rps / before.rps for before, after in pairs if before.rps]
        if ratios:
            changes.append(
                {
                    "app": app,
                    "webhook": webhook,
                    "ratio_median": statistics.median(ratios),
                    "ratio_min": min(ratios),
                    "ratio_max": max(ratios),
                    "cpu_before": statistics.median(b.server_cpu_ms_per_request for b, _ in pairs),
                    "cpu_after": statistics.median(a.server_cpu_ms_per_request for _, a in pairs),
                }
            )
    return changes


def measure_pool(target: Target, workdir: Path, token: str, size: int = 20_000) -> Path:
    """Requests of new calls to ``/twilio/voice`` (or the baseline's), to top a server up."""
    file = workdir / "top-up.requests"
    write_requests(file, token, target.server.base_url, VOICE, [new_call_sid() for _ in range(size)])
    return file


def loud(lines: list[str]) -> None:
    bar = "!" * 100
    print(f"\n{bar}")
    for line in lines:
        print(f"!!! {line}")
    print(bar)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every app and webhook (default 3)")
    parser.add_argument("--duration", type=int, default=5, help="seconds measured per app, webhook, load and round (default 5)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each measure (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections (default 16)")
    parser.add_argument("--no-single", action="store_true", help="skip the single-connection (service time) runs")
    parser.add_argument("--rss-after", type=int, default=10_000, help="requests per worker before reading its RSS (default 10,000)")
    parser.add_argument("--workers", type=int, default=GunicornConfig.workers, help="gunicorn workers (default: see GunicornConfig)")
    parser.add_argument("--threads", type=int, default=GunicornConfig.threads, help="threads per worker (default: see GunicornConfig)")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one backend only (the baselines are always measured)")
    parser.add_argument(
        "--entry",
        choices=["hotline", "full"],
        default="hotline",
        help="Recours served by app:create_hotline_app() (webhooks only, the default) or app:create_app() (pages, API and commands too)",
    )
    parser.add_argument("--no-simulator", action="store_true", help="skip the simulated time-to-first-ring figure")
    parser.add_argument(
        "--before",
        metavar="TREE",
        help="also serve Recours from TREE (a checkout of an earlier commit, e.g. made with git worktree or git archive),"
        " measured in the same rounds just before this tree's: A B A B for a change",
    )
    parser.add_argument(
        "--write-behind", choices=["true", "false"], help="CALLLOG_WRITE_BEHIND for the Recours servers (default: the app's default)"
    )
    return parser.parse_args(argv)


def _interrupt(signum: int, _frame: object) -> None:
    # SIGTERM/SIGHUP behave like Ctrl-C: unwinding runs the finally blocks that stop the servers and
    # drop the PostgreSQL database.
    raise KeyboardInterrupt(f"signal {signum}")


# -- the simulated figure ---------------------------------------------------------------------------


def first_ring_figure(workdir: Path) -> dict[str, Any] | None:
    """Simulated seconds from the answer to the first senior ringing, for a GP who presses 1 one second
    into the greeting (barge-in) while every senior would accept after 3 s of ringing.

    Needs the :mod:`simulator` package, written alongside: without it the figure is skipped, and a
    failure inside the simulator is reported without invalidating the load figures.
    """
    try:
        from simulator import Accepts, FlaskTransport, Key, Simulator
    except ImportError as exc:
        print(f"  simulator not available yet ({exc})")
        return None
    from app import create_app

    database_url = f"sqlite:///{workdir / 'simulator.sqlite3'}"
    prepare_database(database_url)
    token, public_base_url = secrets.token_hex(16), "https://recours.example.org"
    env = recours_env(database_url, token, public_base_url)
    app = create_app({key: env[key] for key in APP_SETTINGS})
    figure: dict[str, Any] = {"target_s": TARGET_FIRST_RING_S}
    try:
        # Twilio takes a moment between <Dial> and the first ring on real networks; the simulator's
        # default is none, so the figure is given both ways.
        for label, post_dial_delay in (("no post-dial delay", 0.0), ("2 s post-dial delay", 2.0)):
            simulator = Simulator(
                FlaskTransport(app),
                public_base_url=public_base_url,
                auth_token=token,
                account_sid=ACCOUNT_SID,
                start=datetime.now(UTC),  # the seeded rota covers today, should the app follow the simulated clock
                post_dial_delay=post_dial_delay,
            )
            result = simulator.call(from_=GP_NUMBER, to=HOTLINE, gp=[Key("1", after=1.0)], default_callee=Accepts(after=3))
            first = result.first_ring_at
            heard = [f"{t:5.1f} s  {text}" for t, text in result.heard if first is None or t <= first]
            issues = [str(issue) for issue in result.errors]
            figure[label] = {"first_ring_at_s": first, "gp_heard_until_then": heard, "simulated_call_errors": issues}
            verdict = "MISSED" if first is None or first > TARGET_FIRST_RING_S else "ok"
            ring = "never" if first is None else f"{first:.1f} s"
            print(f"  first senior ringing after {ring} ({label}); target <= {TARGET_FIRST_RING_S:.0f} s: {verdict}")
            for line in heard:
                print(f"      GP heard at {line}")
            for issue in issues:
                print(f"      ERROR IN THE SIMULATED CALL: {issue}")
    except Exception as exc:  # noqa: BLE001 - the simulator is work in progress; keep the load figures
        print(f"  SIMULATOR FAILED: {type(exc).__name__}: {exc}")
        figure["simulator_failed"] = f"{type(exc).__name__}: {exc}"
    finally:
        app.extensions["recours.db"].engine.dispose()
    return figure


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    os.environ["LOG_LEVEL"] = "WARNING"  # for the in-process app (menu sample, simulator)
    config = GunicornConfig(workers=args.workers, threads=args.threads)
    loads = [Load(connections=args.connections, warmup=args.warmup, duration=args.duration)]
    if not args.no_single:
        loads.append(Load(connections=1, wrk_threads=1, warmup=1, duration=max(2, args.duration)))
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "started_at": started.isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_average_at_start": os.getloadavg()},
        "gunicorn": asdict(config) | {"arguments": config.arguments()},
        "loads": [asdict(load) for load in loads],
        "targets": {
            "ratio_to_bare": TARGET_RATIO,
            "p99_ms_postgresql": TARGET_P99_MS,
            "worker_rss_mb": TARGET_RSS_MB,
            "first_ring_s": TARGET_FIRST_RING_S,
        },
        "rounds": args.rounds,
        "problems": [],
    }
    print(f"Recours webhook benchmark: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(f"gunicorn {' '.join(config.arguments())}")
    shapes = ", ".join(f"{load.connections} connection(s) for {load.warmup} s warm-up + {load.duration} s" for load in loads)
    print(f"load: wrk with keep-alive, {shapes}, per app, webhook and round ({args.rounds} rounds; x1 in the first)\n")
    if os.getloadavg()[0] > 0.5:
        print("note: the machine is already busy (load average above 0.5): figures will be noisy\n")

    figures: list[Figures] = []
    exit_status = 0
    try:
        with tempfile.TemporaryDirectory(prefix="recours-bench-") as tmp:
            if wrk_available():
                figures = run_load(args, config, loads, Path(tmp), report)
            else:
                loud(
                    [
                        "wrk is not installed: no load figures.",
                        "Install it: apt-get install -y wrk (Debian/Ubuntu), brew install wrk (macOS)",
                    ]
                )
                exit_status = 2
            if not args.no_simulator:
                print("\nSimulated call: the GP presses 1 one second into the greeting; seniors would accept after 3 s of ringing")
                report["first_ring"] = first_ring_figure(Path(tmp))
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped, temporary database dropped, no results written")
        return 130
    except RuntimeError as exc:  # a server that would not start, an app failing its preflight, wrk failing
        loud(["THE BENCHMARK COULD NOT RUN:", *str(exc).splitlines()[:40]])
        return 1

    errors = [f"{f.label} x{f.connections}: {f.errors} errors in {f.requests} answers {f.error_detail}" for f in figures if f.errors]
    errors += report["problems"]
    report["runs"] = [asdict(f) for f in figures]
    report["problems"] = errors
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    result_file = RESULTS_DIR / f"webhooks-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    result_file.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nResults written to {result_file.relative_to(ROOT)}")
    if errors:
        loud(["ERRORS DURING THE BENCHMARK: the figures above are NOT valid.", *errors[:20]])
        exit_status = max(exit_status, 1)
    return exit_status


if __name__ == "__main__":
    sys.exit(main())
