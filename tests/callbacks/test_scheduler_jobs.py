"""The scheduled jobs, run as APScheduler runs them (``scheduler.jobs.run_job``) at instants set by a
moved clock: reminders once per duty, gap alerts once a day, the digest once a week, retention only of
what is due. And the job store: the misfire policy survives a restart."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from calllog.models import Attempt, AttemptResult, Call, CallbackRequest, CallOutcome
from calllog.operations import ANONYMISED
from core import db
from core.actor import SYSTEM
from directory.models import GpPhone
from notify.models import MessageStatus, OutboundMessage
from rota import operations as rota_operations
from rota.models import Department, Senior, SeniorPhone, Specialty
from scheduler.jobs import JOBS, job_specs, run_job
from scheduler.retention import months_before
from scheduler.runner import build_scheduler, sync_jobs
from simulator import Accepts, FlaskTransport, Key, Simulator
from tests.callbacks.support import API, twilio_error
from tests.conftest import AUTH_TOKEN, HOTLINE, PUBLIC_BASE_URL
from tests.hospital import GP_KNOWN, HEAD, PRIMARY

PARIS = ZoneInfo("Europe/Paris")
DAY_SENIOR, NIGHT_SENIOR = "+33199000141", "+33199000142"


def paris(year, month, day, hour=0, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


@pytest.fixture
def day_and_night(session):
    """Cardiology with day duty 08:30-18:30 and night duty 18:30-08:30, every day, one senior each."""
    department = Department(name="Cardiologie", timezone="Europe/Paris")
    day = Senior(full_name="Dr Jour", phones=[SeniorPhone(e164=DAY_SENIOR, preference=0)])
    night = Senior(full_name="Dr Nuit", phones=[SeniorPhone(e164=NIGHT_SENIOR, preference=0)])
    specialty = Specialty(
        code="cardiology", department=department, name_fr="cardiologie", name_en="cardiology", menu_digit="2", speech_keywords=""
    )
    session.add_all([department, day, night, specialty])
    session.flush()
    common = {"weekdays": "1234567", "turn_days": 7, "anchor": date(2026, 3, 2), "valid_from": paris(2026, 3, 1)}
    rota_operations.add_rotation(
        session, SYSTEM, specialty.id, "jour", "primary", start=time(8, 30), end=time(18, 30), members=[day.id], **common
    )
    rota_operations.add_rotation(
        session, SYSTEM, specialty.id, "nuit", "primary", start=time(18, 30), end=time(8, 30), members=[night.id], **common
    )
    session.commit()
    return specialty


def test_each_senior_is_reminded_once_per_duty_across_the_spring_clock_change(day_and_night, job, twilio, frozen_clock):
    # Saturday 28 March 00:07 to Monday 30 March 00:07, Paris: the clocks go forward on Sunday 29 at 02:00.
    sent = []
    at, end = paris(2026, 3, 28, 0, 7), paris(2026, 3, 30, 0, 7)
    while at <= end:
        frozen_clock[0] = at
        before = len(twilio.sms())
        job("shift-reminders")
        sent += [(at.astimezone(PARIS).strftime("%d %H:%M"), d["To"], d["Body"]) for d in twilio.sms()[before:]]
        # Hourly here (every 5 minutes in production): any step shorter than the 75-minute window
        # (60 minutes ahead, 15 behind) gives exactly one reminder per duty.
        at += timedelta(hours=1)
    assert sent == [
        ("28 08:07", DAY_SENIOR, "Recours : vous êtes de garde en cardiologie à partir de sam. 28/03 08:30."),
        ("28 18:07", NIGHT_SENIOR, "Recours : vous êtes de garde en cardiologie à partir de sam. 28/03 18:30."),
        ("29 08:07", DAY_SENIOR, "Recours : vous êtes de garde en cardiologie à partir de dim. 29/03 08:30."),
        ("29 18:07", NIGHT_SENIOR, "Recours : vous êtes de garde en cardiologie à partir de dim. 29/03 18:30."),
    ]


def test_a_reminder_is_not_sent_for_a_duty_that_started_long_ago(day_and_night, job, twilio, frozen_clock):
    frozen_clock[0] = paris(2026, 3, 28, 8, 30) + timedelta(minutes=16)  # the scheduler was down at 07:30
    job("shift-reminders")
    assert twilio.sms() == []
    frozen_clock[0] = paris(2026, 3, 28, 18, 30) + timedelta(minutes=14)  # a short outage: still useful
    job("shift-reminders")
    assert twilio.sms_to(NIGHT_SENIOR) == ["Recours : vous êtes de garde en cardiologie à partir de sam. 28/03 18:30."]


def test_the_heads_hear_of_coverage_gaps_once_a_day(hospital, job, twilio, session, frozen_clock):
    frozen_clock[0] = paris(2026, 3, 10, 7, 0)
    job("coverage-gaps")
    frozen_clock[0] = paris(2026, 3, 10, 7, 5)  # run again (a restart): nothing new
    job("coverage-gaps")
    [body] = twilio.sms_to(HEAD)
    assert body.startswith("Recours : 3 périodes sans médecin de garde dans les 14 jours. Première : cardiologie mar. 10/03 07:00 - ")
    assert body.endswith("Détail : flask rota gaps.")
    # With department heads named, they get it instead of the last resort.
    rota_operations.update_department(
        session, SYSTEM, session.get(Specialty, hospital.cardiology_id).department_id, heads=[hospital.primary_id]
    )
    session.commit()
    frozen_clock[0] = paris(2026, 3, 11, 7, 0)
    job("coverage-gaps")
    assert len(twilio.sms_to(HEAD)) == 1 and len(twilio.sms_to(PRIMARY)) == 1


def test_the_weekly_digest_is_e_mailed_once(app, hospital, gp_call, job, smtp_server, session, frozen_clock):
    simulator = Simulator(FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=frozen_clock[0])
    simulator.call(from_=GP_KNOWN, to=HOTLINE, gp=[Key("1")], callees={PRIMARY: Accepts()})
    gp_call()
    job("callbacks")
    frozen_clock[0] = paris(2026, 3, 16, 8, 0)  # the next Monday
    job("weekly-digest")
    job("weekly-digest")
    [(_sender, recipients, mail)] = smtp_server.received
    assert recipients == ["direction@hopital.example.org"] and mail["Subject"] == "Recours\u00a0: semaine du 9 mars 2026"
    body = mail.get_content().replace("\u00a0", " ").replace("\u202f", " ")  # French typography's spaces
    assert "Recours, semaine du 9 mars 2026 au 15 mars 2026" in body
    assert "Appels : 2" in body and "mis en relation : 1" in body and "rappel demandé : 1" in body
    assert "neurologie : 2 appels, 1 mis en relation, 1 rappel demandé" in body
    assert "Rappels demandés : 1, faits : 0 (dans le délai : 0), encore ouverts : 1" in body
    assert "Rappels en retard à cette heure : 1" in body
    assert "Trous de garde dans les 14 prochains jours : 3" in body


# -- retention --------------------------------------------------------------------------------------


def old_call(session, started_at: datetime, *, recording: bool, n: int, senior_id: int) -> int:
    gp = session.scalar(select(GpPhone.gp_id).where(GpPhone.e164 == GP_KNOWN))
    call = Call(
        sid=f"CA{n:032x}",
        caller=GP_KNOWN,
        caller_e164=GP_KNOWN,
        gp_id=gp,
        dialled=HOTLINE,
        language="fr",
        menu_failures=0,
        hunt=[{"senior_id": senior_id, "name": "Dr Claire Martin", "number": PRIMARY, "layer": "primary", "reason": "x"}],
        started_at=started_at,
        ended_at=started_at + timedelta(minutes=2),
        outcome=CallOutcome.CALLBACK_REQUESTED,
        status_rank=4,
    )
    call.attempts.append(
        Attempt(
            rank=0,
            senior_id=senior_id,
            number=PRIMARY,
            layer="primary",
            started_at=started_at,
            result=AttemptResult.NO_ANSWER,
            status_rank=4,
        )
    )
    call.callback = CallbackRequest(
        caller=GP_KNOWN,
        caller_e164=GP_KNOWN,
        gp_id=gp,
        requested_at=started_at + timedelta(minutes=1),
        recording_url=f"https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE{n:032x}" if recording else None,
        recording_sid=f"RE{n:032x}" if recording else None,
        recording_seconds=30 if recording else None,
    )
    session.add(call)
    session.commit()
    return call.id


@pytest.fixture
def history(hospital, session, frozen_clock):
    now = frozen_clock[0]
    return {
        "13 months": old_call(session, months_before(now, 13), recording=True, n=1, senior_id=hospital.primary_id),
        "just past 12 months": old_call(
            session, months_before(now, 12) - timedelta(minutes=2), recording=False, n=2, senior_id=hospital.primary_id
        ),
        "just within 12 months": old_call(
            session, months_before(now, 12) + timedelta(minutes=1), recording=False, n=3, senior_id=hospital.primary_id
        ),
        "7 months": old_call(session, months_before(now, 7), recording=True, n=4, senior_id=hospital.primary_id),
        "5 months": old_call(session, months_before(now, 5), recording=True, n=5, senior_id=hospital.primary_id),
    }


def test_retention_anonymises_old_calls_and_deletes_old_recordings_only(history, job, twilio, fresh, rows):
    job("retention")
    deleted = [r.url for r in twilio.requests if r.method == "DELETE"]
    assert deleted == [f"{API}/Recordings/RE{1:032x}.json", f"{API}/Recordings/RE{4:032x}.json"]
    calls = {age: fresh(Call, call_id) for age, call_id in history.items()}
    assert calls["13 months"].caller == calls["just past 12 months"].caller == ANONYMISED
    assert calls["13 months"].caller_e164 is None and calls["13 months"].gp_id is None and calls["13 months"].hunt is None
    assert calls["13 months"].outcome is CallOutcome.CALLBACK_REQUESTED  # the statistics stay
    assert [(a.number, a.senior_id) for a in rows(select(Attempt).where(Attempt.call_id == history["13 months"]))] == [("", None)]
    assert calls["just within 12 months"].caller == calls["7 months"].caller == GP_KNOWN
    requests = {age: rows(select(CallbackRequest).where(CallbackRequest.call_id == call_id))[0] for age, call_id in history.items()}
    assert requests["7 months"].recording_url is None and requests["7 months"].recording_sid is None
    assert requests["7 months"].recording_deleted_at is not None and requests["7 months"].recording_seconds == 30
    assert requests["5 months"].recording_sid == f"RE{5:032x}"
    job("retention")
    assert len([r for r in twilio.requests if r.method == "DELETE"]) == 2  # nothing more the second time


def test_retention_can_delete_old_calls_instead(make_app, history, smtp_server, session, rows, twilio, frozen_clock):
    from tests.callbacks.conftest import live_settings

    app = make_app(**live_settings(smtp_server.port, RETENTION_MODE="delete"))
    session.rollback()
    with app.app_context():
        assert run_job("retention") == "ok"
    left = {c.id for c in rows(select(Call))}
    assert left == {history["just within 12 months"], history["7 months"], history["5 months"]}
    assert len(rows(select(Attempt))) == 3 and len(rows(select(CallbackRequest))) == 3


def test_a_recording_twilio_no_longer_has_counts_as_deleted_and_a_refusal_is_retried(history, job, twilio, rows, frozen_clock):
    twilio.then(twilio_error(404, 20404, "not found"), twilio_error(500, 20500, "Oops"))
    job("retention")
    statuses = {m.recipient: m.status for m in rows(select(OutboundMessage).where(OutboundMessage.purpose == "recording_retention"))}
    assert statuses == {f"RE{1:032x}": MessageStatus.SENT, f"RE{4:032x}": MessageStatus.RETRY}
    frozen_clock[0] += timedelta(minutes=5)
    job("callbacks")  # any job's delivery picks the retry up
    statuses = {m.recipient: m.status for m in rows(select(OutboundMessage).where(OutboundMessage.purpose == "recording_retention"))}
    assert statuses[f"RE{4:032x}"] is MessageStatus.SENT


def test_months_before_keeps_to_calendar_months():
    assert months_before(datetime(2026, 8, 31, 12, tzinfo=UTC), 6) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert months_before(datetime(2026, 3, 10, tzinfo=UTC), 12) == datetime(2025, 3, 10, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 1) == datetime(2025, 12, 15, tzinfo=UTC)


# -- the job store and the misfire policy ----------------------------------------------------------


def test_the_jobs_and_their_misfire_policy(app):
    specs = {spec.id: spec for spec in job_specs(app.config["SETTINGS"])}
    assert set(specs) == {
        "callbacks",
        "shift-reminders",
        "coverage-gaps",
        "weekly-digest",
        "retention",
        "report-summaries",
        "reconcile-calls",
        "urgent-slots",
    }
    assert {spec.id: spec.misfire_grace_time for spec in specs.values()} == {
        "callbacks": None,
        "shift-reminders": None,
        "coverage-gaps": 6 * 3600,
        "weekly-digest": 24 * 3600,
        "retention": None,
        "report-summaries": 6 * 3600,
        "reconcile-calls": None,
        "urgent-slots": None,
    }
    assert all(spec.coalesce for spec in specs.values())
    assert str(specs["weekly-digest"].trigger) == "cron[day_of_week='mon', hour='8', minute='0']"
    assert str(specs["callbacks"].trigger) == "interval[0:00:20]"
    assert str(specs["report-summaries"].trigger) == "cron[hour='2', minute='30']"


def test_a_restart_keeps_a_missed_run_for_the_misfire_policy(make_app, app, session, smtp_server):
    from tests.callbacks.conftest import live_settings

    session.rollback()
    specs = job_specs(app.config["SETTINGS"])
    scheduler = build_scheduler(app)
    scheduler.start(paused=True)
    sync_jobs(scheduler, specs)
    missed = datetime.now(UTC) - timedelta(hours=2)
    scheduler.get_job("coverage-gaps").modify(next_run_time=missed)  # as if no instance was up at 07:00
    scheduler.shutdown(wait=False)

    scheduler = build_scheduler(app)
    scheduler.start(paused=True)
    sync_jobs(scheduler, job_specs(app.config["SETTINGS"]))
    assert scheduler.get_job("coverage-gaps").next_run_time == missed  # kept: it runs late, within 6 h
    scheduler.shutdown(wait=False)

    changed = make_app(**live_settings(smtp_server.port, GAP_ALERT_TIME="06:30"))
    scheduler = build_scheduler(changed)
    scheduler.start(paused=True)
    sync_jobs(scheduler, job_specs(changed.config["SETTINGS"]))
    job = scheduler.get_job("coverage-gaps")
    assert job.next_run_time > datetime.now(UTC) and job.next_run_time.astimezone(PARIS).strftime("%H:%M") == "06:30"
    assert len(scheduler.get_jobs()) == len(JOBS)
    scheduler.shutdown(wait=False)
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(db.Base.metadata.tables["scheduler_job"])) == len(JOBS)


def test_a_job_that_fails_is_logged_and_does_not_escape(app, session, monkeypatch, runner):
    from scheduler import jobs

    def broken(*_args):
        raise RuntimeError("the rota is unreadable")

    monkeypatch.setitem(jobs.JOBS, "coverage-gaps", broken)
    session.rollback()
    with app.app_context():
        assert run_job("coverage-gaps") == "error"
    assert "coverage-gaps" in runner.invoke(args=["scheduler", "status"]).output
    result = runner.invoke(args=["scheduler", "run-job", "coverage-gaps"])
    assert result.exit_code == 1 and "RuntimeError: the rota is unreadable" in result.output
