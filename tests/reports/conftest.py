"""A known call log for the report tests, placed through the simulator and the real, signed webhooks.

The week of the spring daylight-saving change in Paris (Sunday 29 March 2026, 02:00 → 03:00): calls
on both sides of the change, one that runs past midnight, one just before the period and one at the
very first instant after it. Neurology has a primary, a backup and the head as last resort on duty
all week; cardiology has nobody. Everything the report should say is derivable from :data:`SCRIPT`
and the simulator's own timeline, which the tests do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from calllog.models import Call
from core import clock, db
from core.db import Base
from directory.models import GeneralPractitioner, GpPhone
from rota.models import Department, DutySlot, Layer, Senior, SeniorPhone, Specialty
from simulator import Accepts, Busy, Declines, FlaskTransport, HangUp, Key, Message, NoAnswer, Simulator, Voicemail
from simulator.result import CallResult
from tests.conftest import AUTH_TOKEN, HOTLINE, PUBLIC_BASE_URL, settings_for

PARIS = ZoneInfo("Europe/Paris")
PRIMARY, BACKUP, HEAD = "+33199000101", "+33199000102", "+33199000109"
GP = "+33199000201"
FIRST_DAY, LAST_DAY = date(2026, 3, 27), date(2026, 3, 30)  # Friday to Monday, the change on Sunday


def paris(day: int, hour: int, minute: int = 0, second: int = 0, microsecond: int = 0) -> datetime:
    """A March 2026 local time in Paris, as the UTC instant the log stores."""
    return datetime(2026, 3, day, hour, minute, second, microsecond, tzinfo=PARIS).astimezone(UTC)


@dataclass(frozen=True)
class Scripted:
    """One call of the script: when (local), what the GP does and how the seniors behave."""

    name: str
    start: datetime
    gp: tuple = ()
    callees: dict = field(default_factory=dict)
    hang_up_at: float | None = None


SCRIPT: tuple[Scripted, ...] = (
    # The day before the period, last microsecond-second: outside.
    Scripted("before", paris(26, 23, 59, 59), (Key("1"),), {PRIMARY: Accepts(after=2, talk=30)}),
    # Friday morning: the primary accepts.
    Scripted("friday_accepted", paris(27, 10), (Key("1", after=2),), {PRIMARY: Accepts(after=3, talk=60)}),
    # Friday 23:59:30: the primary does not answer, the backup accepts after midnight. Counts on Friday, 23h.
    Scripted("across_midnight", paris(27, 23, 59, 30), (Key("1"),), {PRIMARY: NoAnswer(), BACKUP: Accepts(after=4, talk=120)}),
    # Saturday afternoon: busy, voicemail, declined; the GP leaves a message.
    Scripted(
        "saturday_callback",
        paris(28, 14),
        (Key("1"), Key("1"), Message(seconds=10)),
        {PRIMARY: Busy(), BACKUP: Voicemail(after=6), HEAD: Declines(after=2)},
    ),
    # Sunday 01:30 (before the change): cardiology, nobody on duty; the GP hangs up.
    Scripted("sunday_nobody_hangs_up", paris(29, 1, 30), (Key("2"), HangUp(after=1))),
    # Sunday 03:30 (just after the change, an hour later in UTC than 02:30 would be): nobody; a message.
    Scripted("sunday_nobody_callback", paris(29, 3, 30), (Key("2"), Key("1"), Message(seconds=5))),
    # Monday 08:00: the GP hangs up in the menu.
    Scripted("monday_menu", paris(30, 8), (HangUp(after=1.5),)),
    # Monday 09:00: the primary rings out, the GP hangs up while the backup rings.
    Scripted("monday_hunting", paris(30, 9), (Key("1", after=4),), {PRIMARY: NoAnswer(), BACKUP: NoAnswer()}, hang_up_at=45.0),
    # Monday 23:30: the primary accepts at once.
    Scripted("monday_late", paris(30, 23, 30), (Key("1", after=3),), {PRIMARY: Accepts(after=1, talk=45)}),
    # Tuesday 00:00:00, the first instant after the period: outside.
    Scripted("after", paris(31, 0), (Key("1"),), {PRIMARY: Accepts(after=2, talk=30)}),
)


@dataclass
class Hospital:
    department_id: int
    neurology_id: int
    cardiology_id: int
    primary_id: int
    backup_id: int
    head_id: int


@dataclass
class CallLog:
    hospital: Hospital
    results: dict[str, CallResult]
    calls: dict[str, int]  # script name → call id


def build_report_hospital(session) -> Hospital:
    department = Department(name="Neurosciences", timezone="Europe/Paris")
    primary = Senior(full_name="Dr Claire Martin", phones=[SeniorPhone(e164=PRIMARY, preference=0)])
    backup = Senior(full_name="Dr Hugo Bernard", phones=[SeniorPhone(e164=BACKUP, preference=0)])
    head = Senior(full_name="Pr Anne Chef", phones=[SeniorPhone(e164=HEAD, preference=0)])
    neurology = Specialty(
        code="neurology", department=department, name_fr="neurologie", name_en="neurology", menu_digit="1", last_resort=head
    )
    cardiology = Specialty(code="cardiology", department=department, name_fr="cardiologie", name_en="cardiology", menu_digit="2")
    # Six days of duty from Thursday 26 March, 00:00 Paris, for both neurologists (single shifts last at most 8 days).
    starts, ends = paris(26, 0), paris(26, 0) + timedelta(days=6)
    session.add_all(
        [
            DutySlot(specialty=neurology, senior=primary, layer=Layer.PRIMARY, starts_at=starts, ends_at=ends),
            DutySlot(specialty=neurology, senior=backup, layer=Layer.BACKUP, starts_at=starts, ends_at=ends),
            cardiology,
            GeneralPractitioner(full_name="Alice Renaud", rpps="10001234567", phones=[GpPhone(e164=GP)]),
        ]
    )
    session.commit()
    return Hospital(department.id, neurology.id, cardiology.id, primary.id, backup.id, head.id)


def place_calls(app, session, script: tuple[Scripted, ...] = SCRIPT) -> dict[str, CallResult]:
    results = {}
    for scripted in script:
        simulator = Simulator(FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=scripted.start)
        with clock.use_clock(simulator.now):
            result = simulator.call(from_=GP, to=HOTLINE, gp=list(scripted.gp), callees=scripted.callees, hang_up_at=scripted.hang_up_at)
        assert result.errors == [] and result.warnings == [], result.transcript()
        results[scripted.name] = result
    session.rollback()
    return results


def _empty_all_tables(app) -> None:
    with app.extensions["recours.db"].engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@dataclass
class SharedLog:
    app: Flask
    log: CallLog

    def read(self, fn):
        """``fn(session)`` in an application context of its own, as a request has."""
        with self.app.app_context():
            return fn(db.session())


@pytest.fixture(scope="module")
def shared_log(database_url) -> Iterator[SharedLog]:
    """The scripted call log, placed once per module and backend, for tests that only read it (the
    report may fill its summary tables, which never changes a figure)."""
    app = create_app(settings_for(database_url, REPORTS_WEB="open"))
    app.config["TESTING"] = True
    _empty_all_tables(app)
    with app.app_context():
        session = db.session()
        hospital = build_report_hospital(session)
        results = place_calls(app, session)
        calls = {name: session.scalars(select(Call.id).where(Call.sid == r.call_sid)).one() for name, r in results.items()}
        session.rollback()
    yield SharedLog(app, CallLog(hospital, results, calls))
    _empty_all_tables(app)
    app.extensions["recours.db"].dispose()


@pytest.fixture
def report_app(make_app):
    """The app with the report pages served without an access check (REPORTS_WEB=open)."""
    return make_app(REPORTS_WEB="open")


@pytest.fixture
def report_session(report_app):
    with report_app.app_context():
        yield db.session()


@pytest.fixture
def call_log(report_app, report_session) -> CallLog:
    hospital = build_report_hospital(report_session)
    results = place_calls(report_app, report_session)
    calls = {name: report_session.scalars(select(Call.id).where(Call.sid == result.call_sid)).one() for name, result in results.items()}
    report_session.rollback()  # release SQLite's lock: the tests read in contexts of their own
    return CallLog(hospital, results, calls)


@pytest.fixture
def in_app(report_app) -> Callable:
    """``in_app(fn)`` runs ``fn(session)`` in a fresh application context (as a request would)."""

    def run(fn):
        with report_app.app_context():
            return fn(db.session())

    return run


@pytest.fixture
def runner_for(report_app):
    """``runner_for(now, args)``: run a ``flask`` command with the app's clock stopped at ``now``."""

    def run(now: datetime, args: list[str]):
        with clock.use_clock(lambda: now):
            return report_app.test_cli_runner().invoke(args=args)

    return run
