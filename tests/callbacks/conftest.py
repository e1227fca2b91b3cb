"""Fixtures of the callback, outbox and scheduler tests.

Nothing here can reach the network: an autouse fixture refuses every socket connection and name lookup
that is not the loopback (PostgreSQL's driver is C code and the fake SMTP server listens on 127.0.0.1).
The real ``twilio.rest.Client`` runs with a recording HTTP client, so the tests check the exact REST
requests; e-mail goes through the real ``smtplib`` to a small SMTP server in a thread.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from calllog.models import Call, CallbackRequest
from notify.providers import use_twilio_http_client
from scheduler.jobs import run_job
from simulator import FlaskTransport, Key, Message, NoAnswer, Simulator
from tests.callbacks.support import SmtpServer, TwilioRecorder
from tests.conftest import AUTH_TOKEN, HOTLINE, PUBLIC_BASE_URL
from tests.hospital import GP_KNOWN, build_hospital

MANAGER = "direction@hopital.example.org"
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class NetworkBlocked(ConnectionRefusedError):
    """A test tried to leave the machine."""


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect, real_connect_ex, real_getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def refuse(address: Any) -> None:
        raise NetworkBlocked(f"tests may not reach {address!r}")

    def connect(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOOPBACK:
            refuse(address)
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOOPBACK:
            refuse(address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and (host.decode() if isinstance(host, bytes) else host) not in _LOOPBACK:
            refuse(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(autouse=True)
def twilio() -> Iterator[TwilioRecorder]:
    recorder = TwilioRecorder()
    with use_twilio_http_client(lambda: recorder):
        yield recorder


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    # A short poll: shutdown() waits for serve_forever to notice, once per test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


# -- the application -------------------------------------------------------------------------------


def live_settings(smtp_port: int, **overrides: str) -> dict[str, str]:
    return {
        "NOTIFY_BACKEND": "live",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_STARTTLS": "false",
        "MAIL_FROM": "recours@hopital.example.org",
        "DIGEST_RECIPIENTS": MANAGER,
        **overrides,
    }


@pytest.fixture
def app(make_app, smtp_server):
    """Sends for real through the recorded Twilio client and the loopback SMTP server."""
    return make_app(**live_settings(smtp_server.port))


@pytest.fixture
def hospital(session, frozen_clock):
    return build_hospital(session, frozen_clock[0])


@pytest.fixture
def fresh(session):
    """Read one row as committed, detached, leaving no transaction open: on SQLite an open one would
    hold the write lock that the webhooks and jobs under test need."""

    def get(model, ident):
        session.rollback()
        session.expire_all()  # webhooks under test share this session (one app context): reload
        row = session.get(model, ident)
        if row is not None:
            session.expunge(row)
        session.rollback()
        return row

    return get


@pytest.fixture
def rows(session):
    """Like ``fresh`` for a query: the rows it returns, detached."""

    def query(statement):
        session.rollback()
        session.expire_all()
        found = session.scalars(statement).all()
        session.expunge_all()
        session.rollback()
        return found

    return query


@pytest.fixture
def job(app, session) -> Callable[[str], str]:
    """Run one scheduler job now (at the frozen clock's instant), as APScheduler would."""

    def run(job_id: str) -> str:
        session.rollback()
        with app.app_context():
            outcome = run_job(job_id)
        assert outcome == "ok"
        return outcome

    return run


@pytest.fixture
def gp_call(app, session, frozen_clock):
    """A GP calls the hotline and nobody in neurology answers: a callback request with a message."""

    def place(*, from_: str = GP_KNOWN, digit: str = "1", message_seconds: float = 20, hang_up_at: float | None = None) -> int:
        session.rollback()
        simulator = Simulator(FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=frozen_clock[0])
        result = simulator.call(
            from_=from_,
            to=HOTLINE,
            gp=[Key(digit), Key("1"), Message(seconds=message_seconds)],
            default_callee=NoAnswer(),
            hang_up_at=hang_up_at,
        )
        assert result.errors == [], result.transcript()
        request_id = session.scalar(
            select(CallbackRequest.id).join(Call, Call.id == CallbackRequest.call_id).where(Call.sid == result.call_sid)
        )
        session.rollback()
        assert request_id is not None, result.transcript()
        return request_id

    return place


def move(frozen_clock: list[datetime], to: datetime) -> None:
    frozen_clock[0] = to
