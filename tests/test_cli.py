"""Commands IT runs, through Flask's CLI runner."""

from __future__ import annotations

from sqlalchemy import func, select

from directory.models import GeneralPractitioner, GpPhone
from rota.models import Specialty
from tests.conftest import signed_post


def test_demo_seed_fills_an_empty_database_once(runner, session):
    first = runner.invoke(args=["demo", "seed", "--days", "0"])
    assert first.exit_code == 0, first.output
    assert "4 specialties" in first.output and "demo administrator: admin@recours.example.org" in first.output
    second = runner.invoke(args=["demo", "seed"])
    assert "already has specialties" in second.output
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Specialty)) == 4


def test_gp_import_creates_and_updates_by_rpps(runner, session, tmp_path):
    path = tmp_path / "gps.csv"
    path.write_text(
        "name;rpps;phones\nDr Alice Renaud;10001234567;01 99 00 02 01\nDr Bruno Caron;10001234568;0199000202 | +33199000212\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["gps", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 GPs created, 0 updated" in result.output
    path.write_text("name,rpps,phones\nDr Alice Renaud-Martin,10001234567,01 99 00 02 03\n", encoding="utf-8")
    result = runner.invoke(args=["gps", "import", str(path)])
    assert "0 GPs created, 1 updated" in result.output
    session.rollback()
    alice = session.scalars(select(GeneralPractitioner).where(GeneralPractitioner.rpps == "10001234567")).one()
    assert alice.full_name == "Dr Alice Renaud-Martin"
    assert [p.e164 for p in alice.phones] == ["+33199000203"]


def test_gp_import_reports_every_bad_line_and_writes_nothing(runner, session, tmp_path):
    path = tmp_path / "gps.csv"
    path.write_text(
        "name,rpps,phones\n"
        "Dr Good,10001234567,01 99 00 02 01\n"
        ",123,not a number\n"
        "Dr Twin,10001234567,01 99 00 02 05\n"
        "Dr Same Phone,10001234569,01 99 00 02 01\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["gps", "import", str(path)])
    assert result.exit_code != 0
    assert "line 3: name is empty" in result.output
    assert "line 3: RPPS '123' must be 11 digits" in result.output
    assert "line 3: 'not a number' is not a phone number" in result.output
    assert "line 4: RPPS 10001234567 already on line 2" in result.output
    assert "line 5: phone 01 99 00 02 01 already on line 2" in result.output
    assert "nothing was imported" in result.output
    session.rollback()
    assert session.scalar(select(func.count()).select_from(GpPhone)) == 0


def test_gp_import_refuses_a_file_without_the_columns(runner, tmp_path):
    path = tmp_path / "gps.csv"
    path.write_text("nom,telephone\nX,0199000201\n", encoding="utf-8")
    result = runner.invoke(args=["gps", "import", str(path)])
    assert result.exit_code != 0 and "line 1: missing columns: name, rpps, phones" in result.output


def test_calls_list_shows_calls_with_their_attempts(app, runner, frozen_clock):
    runner.invoke(args=["demo", "seed"])
    client = app.test_client()
    call = {"CallSid": "CA" + "7" * 32, "From": "+33199000201", "To": "+33199000000", "CallStatus": "ringing"}
    signed_post(client, "/twilio/voice", call)
    signed_post(client, "/twilio/menu", {**call, "Digits": "1"})
    result = runner.invoke(args=["calls", "list"])
    assert result.exit_code == 0, result.output
    assert "CA7777" in result.output and "from 01 99 00 02 01" in result.output and "neurology" in result.output
    assert "#1 primary" in result.output and "in progress" in result.output


def test_twilio_setup_prints_the_urls_to_configure(runner):
    result = runner.invoke(args=["twilio-setup"])
    assert "https://recours.example.org/twilio/voice" in result.output
    assert "https://recours.example.org/twilio/fallback" in result.output
    assert "https://recours.example.org/twilio/status" in result.output
    assert "https://recours.example.org/twilio/sms" in result.output
