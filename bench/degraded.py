"""How long each webhook takes in degraded mode: the database refused, hung, or slow by 2 s a round trip.

``python -m bench.degraded [--budget 1.0] [--rounds 20] [--threads 4]``: a fresh PostgreSQL database
(the demo hospital), the app built as gunicorn builds it, behind the TCP fault proxy of the tests
(tests/faultproxy.py). Each webhook a call meets is posted ``--rounds`` times, signed, from
``--threads`` threads at once, first with the database healthy (the baseline), then refused, hung and
slow. Printed: p50 and p99 per webhook and mode, and how far p99 is from the budget + 50 ms that issue 9
aims at. Nothing is asserted: the figures depend on the machine and its load (printed too).

Two variants of the instance, interleaved A B A B within each mode: A without the database breaker
(``WEBHOOK_BREAKER_SECONDS=0``: every webhook of an outage waits its budget), B with it (the default:
after the first failure the webhooks skip the database for twice the budget). Both hold their routing
snapshot, as an instance that has run for a minute does. The snapshot's refresh cost is
``python -m bench.snapshot``'s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import make_url

from bench.webhooks import postgres_database, postgres_reachable
from tests.conftest import HOTLINE, PUBLIC_BASE_URL, settings_for, sign
from tests.faultproxy import FaultProxy

GP = "+33612345678"


def _webhooks() -> list[tuple[str, str, dict[str, str]]]:
    """(name, path, extra form fields) of what one call posts, in the order a call meets them."""
    return [
        ("voice", "/twilio/voice", {}),
        ("menu", "/twilio/menu", {"Digits": "1"}),
        ("dial-result", "/twilio/dial-result?rank=0", {"DialCallStatus": "no-answer"}),
        ("screen", "/twilio/screen?rank=0", {"ParentCallSid": "CA" + "0" * 32}),
        ("screen-answer", "/twilio/screen-answer?rank=0", {"ParentCallSid": "CA" + "0" * 32, "Digits": "1"}),
        ("callback-choice", "/twilio/callback-choice", {"Digits": "1"}),
        (
            "recording",
            "/twilio/recording",
            {"RecordingUrl": "https://api.twilio.com/x/RE1", "RecordingSid": "RE" + "1" * 32, "RecordingDuration": "12"},
        ),
        ("status", "/twilio/status", {"CallStatus": "completed", "SequenceNumber": "3", "CallDuration": "40"}),
        ("fallback", "/twilio/fallback", {"ErrorCode": "11200", "ErrorUrl": f"{PUBLIC_BASE_URL}/twilio/menu"}),
    ]


def _post(client, path: str, extra: dict[str, str]) -> float:
    params = {
        "CallSid": "CA" + uuid.uuid4().hex,
        "AccountSid": "AC" + "0" * 32,
        "From": GP,
        "To": HOTLINE,
        "CallStatus": "in-progress",
        **extra,
    }
    started = time.perf_counter()
    response = client.post(path, data=params, headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + path, params)})
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}")
    return elapsed


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _measure(app, rounds: int, threads: int) -> dict[str, list[float]]:
    local = threading.local()

    def client():
        if not hasattr(local, "client"):
            local.client = app.test_client()
        return local.client

    timings: dict[str, list[float]] = {}
    with ThreadPoolExecutor(threads) as pool:
        for name, path, extra in _webhooks():
            timings[name] = list(pool.map(lambda _, p=path, e=extra: _post(client(), p, e), range(rounds)))
    return timings


def _variant_apps(url: str, budget: float):
    """The same instance twice, A without the database breaker (WEBHOOK_BREAKER_SECONDS=0: each webhook
    waits its budget) and B with it (the default), each holding its routing snapshot as a running one does."""
    from app import create_app
    from routing.snapshot import keeper_of

    apps = {}
    for name, extra in (("A no breaker", {"WEBHOOK_BREAKER_SECONDS": "0"}), ("B breaker", {})):
        app = create_app(settings_for(url, WEBHOOK_BUDGET_SECONDS=str(budget), **extra))
        if keeper_of(app).refresh() is None:
            raise RuntimeError("the routing snapshot could not be built on the healthy database")
        apps[name] = app
    return apps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=1.0, help="WEBHOOK_BUDGET_SECONDS for the run (default 1.0)")
    parser.add_argument("--rounds", type=int, default=20, help="posts of each webhook per mode and variant (default 20)")
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    why_not = postgres_reachable()
    if why_not is not None:
        print(f"PostgreSQL not reachable ({why_not}): degraded mode is measured behind the fault proxy on PostgreSQL")
        return
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; budget {args.budget:g} s")
    half = max(1, args.rounds // 2)
    with postgres_database() as url:
        parsed = make_url(url)
        with FaultProxy((parsed.host or "127.0.0.1", parsed.port or 5432)) as proxy:
            apps = _variant_apps(proxy.url_for(url), args.budget)
            try:
                results: dict[tuple[str, str], dict[str, list[float]]] = {}
                for mode, fault in (
                    ("healthy", proxy.restore),
                    ("refused", proxy.refuse),
                    ("hung", proxy.hang),
                    ("slow +2 s", lambda: proxy.slow(2.0)),
                ):
                    for _pass in range(2):  # A B A B: each variant's half of the rounds, twice
                        for variant, app in apps.items():
                            proxy.restore()
                            app.extensions["recours.db"].breaker.close()
                            _measure(app, 2, 1)  # warm: connections pooled, code paths loaded
                            fault()
                            timings = _measure(app, half, args.threads)
                            into = results.setdefault((mode, variant), {})
                            for name, values in timings.items():
                                into.setdefault(name, []).extend(values)
                proxy.restore()
            finally:
                from calllog import writer

                for app in apps.values():
                    writer.stop(app)
                    app.extensions["recours.db"].dispose()
    aim = args.budget + 0.050
    columns = list(results)
    print(
        f"\n{'webhook':<16}"
        + "".join(f"{mode + ', ' + variant[0]:>18}" for mode, variant in columns)
        + "    (p50 / p99 ms; A no breaker, B breaker)"
    )
    for name, _, _ in _webhooks():
        cells = []
        for column in columns:
            values = results[column][name]
            cells.append(f"{_percentile(values, 0.5) * 1000:>7.0f} / {_percentile(values, 0.99) * 1000:<6.0f}")
        print(f"{name:<16}" + "".join(f"{cell:>18}" for cell in cells))
    print()
    for mode, variant in columns:
        if mode == "healthy":
            continue
        timings = results[(mode, variant)]
        worst = max(_percentile(values, 0.99) for values in timings.values())
        over = [name for name, values in timings.items() if _percentile(values, 0.99) > aim]
        mean = statistics.mean(v for values in timings.values() for v in values)
        print(
            f"{mode}, {variant}: worst p99 {worst * 1000:.0f} ms against the aim of {aim * 1000:.0f} ms (budget + 50 ms); "
            f"mean {mean * 1000:.0f} ms; over the aim: {', '.join(over) or 'none'}"
        )
    for mode in ("refused", "hung", "slow +2 s"):
        a = statistics.mean(v for values in results[(mode, "A no breaker")].values() for v in values)
        b = statistics.mean(v for values in results[(mode, "B breaker")].values() for v in values)
        print(f"{mode}: mean webhook time with the breaker / without: {b / a:.2f}")
    print("the snapshot's refresh cost at 5,000 seniors / 500 specialties: python -m bench.snapshot --backend postgresql")


if __name__ == "__main__":
    main()
