"""``flask rota who|gaps|import`` through Flask's CliRunner."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core.actor import SYSTEM
from rota import operations as ops
from rota.models import DutySlot
from tests.rota.builders import ANCHOR_MONDAY, DAY, NIGHT, department, paris, senior, specialty


@pytest.fixture
def ward(session, frozen_clock):
    dept = department(session, public_holidays="FR")
    a, b, c = senior(session, "Dr Claire Martin"), senior(session, "Dr Hugo Bernard"), senior(session, "Dr Inès Petit")
    spec = specialty(session, dept, "neurology", name_fr="neurologie", last_resort_senior_id=c.id)
    other = specialty(session, dept, "cardiology", name_fr="cardiologie")
    ops.add_rotation(
        session,
        SYSTEM,
        spec.id,
        "Jour",
        "primary",
        weekdays="12345",
        start=DAY,
        end=NIGHT,
        members=[a.id, b.id],
        turn_days=7,
        anchor=ANCHOR_MONDAY,
        valid_from=paris(2025, 1, 1),
    )
    ops.add_rotation(
        session,
        SYSTEM,
        spec.id,
        "Nuit",
        "primary",
        weekdays="12345",
        start=NIGHT,
        end=DAY,
        members=[b.id, a.id],
        turn_days=1,
        anchor=ANCHOR_MONDAY,
        valid_from=paris(2025, 1, 1),
    )
    session.commit()
    return {"spec": spec, "other": other, "A": a, "B": b, "C": c}


def rows(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(DutySlot))


# -- who ----------------------------------------------------------------------------------------------


def test_who_now_uses_the_app_clock(runner, ward):
    result = runner.invoke(args=["rota", "who", "neurology"])  # FIXED_NOW: Tuesday 10 March 2026, 10:00 Paris
    assert result.exit_code == 0, result.output
    assert "neurology (neurology) at Tue 10/03/2026 10:00 CET" in result.output
    assert "primary     Dr Hugo Bernard" in result.output and 'rotation "Jour"' in result.output
    assert "last resort Dr Inès Petit" in result.output
    assert "next change: Tue 10/03/2026 18:30 CET" in result.output


@pytest.mark.parametrize(
    ("when", "shown"),
    [
        ("2026-03-10 20:00", "Tue 10/03/2026 20:00 CET"),
        ("10/03/2026 20h00", "Tue 10/03/2026 20:00 CET"),
        ("2026-03-10T19:00Z", "Tue 10/03/2026 20:00 CET"),
        ("2026-03-10T21:00+02:00", "Tue 10/03/2026 20:00 CET"),
    ],
)
def test_who_at_a_local_or_offset_time(runner, ward, when, shown):
    result = runner.invoke(args=["rota", "who", "neurologie", "--at", when])
    assert result.exit_code == 0, result.output
    assert f"at {shown}" in result.output and 'rotation "Nuit"' in result.output


def test_who_at_a_time_skipped_by_the_clock_change_says_so(runner, ward):
    result = runner.invoke(args=["rota", "who", "neurology", "--at", "2026-03-29 02:30"])
    assert result.exit_code == 0, result.output
    assert "note: 02:30 does not exist on 29/03/2026 in Europe/Paris" in result.output
    assert "at Sun 29/03/2026 03:00 CEST" in result.output


def test_who_with_nobody_on_duty(runner, ward):
    result = runner.invoke(args=["rota", "who", "cardiology"])
    assert result.exit_code == 0 and "nobody on duty" in result.output


def test_who_refuses_an_unknown_specialty_or_a_bad_date(runner, ward):
    result = runner.invoke(args=["rota", "who", "dermatology"])
    assert result.exit_code != 0 and "no specialty 'dermatology'" in result.output and "neurology" in result.output
    result = runner.invoke(args=["rota", "who", "neurology", "--at", "31/02/2026 10:00"])
    assert result.exit_code != 0 and "'31/02/2026 10:00' is not an instant; expected e.g. 2026-03-29 14:30" in result.output


# -- gaps ---------------------------------------------------------------------------------------------


def test_gaps_lists_weekends_and_holidays_nobody_covers(runner, ward):
    result = runner.invoke(args=["rota", "gaps", "--from", "2026-05-11", "--days", "7", "--specialty", "neurology"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "from Mon 11/05/2026 00:00 CEST to Mon 18/05/2026 00:00 CEST (7 days)"
    # Ascension Thursday counts as a Sunday: no weekday duty from Thursday 08:30 to Friday 08:30.
    assert "  gap       Thu 14/05/2026 08:30 CEST → Fri 15/05/2026 08:30 CEST  (1 day 0h00, nobody primary)" in lines
    assert "  gap       Mon 11/05/2026 00:00 CEST → Mon 11/05/2026 08:30 CEST  (8h30, nobody primary)" in lines  # Sunday night
    assert "  gap       Sat 16/05/2026 08:30 CEST → Mon 18/05/2026 00:00 CEST  (1 day 15h30, nobody primary)" in lines
    assert lines[-1] == "3 gaps, 0 conflicts in 1 specialty"


def test_gaps_reports_conflicts_by_name(runner, session, ward):
    ops.add_shift(session, SYSTEM, ward["other"].id, ward["B"].id, "primary", paris(2026, 3, 10, 12), paris(2026, 3, 10, 14))
    ops.add_leave(session, SYSTEM, ward["A"].id, paris(2026, 3, 11, 0), paris(2026, 3, 12, 0))
    session.commit()
    result = runner.invoke(args=["rota", "gaps", "--days", "2"])
    assert result.exit_code == 0, result.output
    assert "Dr Hugo Bernard also on duty for cardiology" in result.output
    assert "Dr Claire Martin on leave but scheduled (rotation #" in result.output and "Dr Hugo Bernard stands in" in result.output


# -- import -------------------------------------------------------------------------------------------

GOOD = """date;début;fin;médecin;spécialité;ligne
16/03/2026;08:30;18:30;Dr Claire Martin;neurology;principal
16/03/2026;18h30;8h30;hugo bernard;neurologie;
2026-03-17;08:30;18:30;Inès Petit;cardiology;backup
"""


def test_import_writes_every_line_then_is_idempotent(runner, session, ward, tmp_path):
    path = tmp_path / "rota.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(args=["rota", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 shifts added, 0 already in Recours" in result.output
    night = session.scalars(select(DutySlot).where(DutySlot.senior_id == ward["B"].id)).one()
    assert (night.starts_at, night.ends_at) == (paris(2026, 3, 16, 18, 30), paris(2026, 3, 17, 8, 30))
    again = runner.invoke(args=["rota", "import", str(path)])
    assert again.exit_code == 0 and "0 shifts added, 3 already in Recours" in again.output
    assert rows(session) == 3


def test_an_imported_shift_is_what_the_hotline_rings(runner, session, ward, tmp_path):
    path = tmp_path / "rota.csv"
    path.write_text("date,start,end,senior,specialty,layer\n10/03/2026,09:00,11:00,Dr Inès Petit,neurology,primary\n", encoding="utf-8")
    assert runner.invoke(args=["rota", "import", str(path)]).exit_code == 0
    result = runner.invoke(args=["rota", "who", "neurology"])
    assert "1. primary     Dr Inès Petit" in result.output and "single shift #" in result.output


BROKEN = """date,start,end,senior,specialty,layer
16/03/2026,08:30,18:30,Dr Claire Martin,neurology,primary
31/02/2026,08:30,18:30,Dr Claire Martin,neurology,primary
17/03/2026,8h61,18:30,Dr Nobody,neurology,primary
18/03/2026,08:30,18:30,Dr Claire Martin,dermatology,third
29/03/2026,02:30,08:30,Dr Hugo Bernard,neurology,primary
16/03/2026,12:00,20:00,Dr Claire Martin,neurology,backup
16-03-26,08:30,18:30,Dr Hugo Bernard,neurology,primary
19/03/2026,08:30,18:30,Dr Hugo Bernard,neurology,primary,extra
"""


def test_a_broken_file_reports_every_bad_line_and_writes_nothing(runner, session, ward, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text(BROKEN, encoding="utf-8")
    result = runner.invoke(args=["rota", "import", str(path)])
    assert result.exit_code != 0
    errors = result.stderr
    for expected in [
        "line 3: date '31/02/2026' does not exist",
        "line 4: time '8h61' does not exist",
        "line 4: no senior named 'Dr Nobody'",
        "line 5: no specialty 'dermatology'",
        "line 5: layer 'third' is not primary or backup",
        "line 6: start 02:30 does not exist on 29/03/2026 in Europe/Paris",
        "line 7: overlaps line 2 (Dr Claire Martin)",
        "line 8: date '16-03-26' is not dd/mm/yyyy or yyyy-mm-dd",
        "line 9: more cells than columns",
    ]:
        assert expected in errors, expected
    assert "Error: 9 problems; nothing was imported" in errors
    assert "line 2:" not in errors
    assert rows(session) == 0


def test_a_file_overlapping_existing_shifts_is_refused(runner, session, ward, tmp_path):
    existing = ops.add_shift(
        session, SYSTEM, ward["spec"].id, ward["A"].id, "primary", paris(2026, 3, 16, 8, 30), paris(2026, 3, 16, 18, 30)
    )
    session.commit()
    path = tmp_path / "rota.csv"
    path.write_text(
        "date,start,end,senior,specialty\n"
        "2026-03-16,12:00,20:00,Dr Claire Martin,neurology\n"
        "2026-03-20,08:30,18:30,Dr Claire Martin,neurology\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["rota", "import", str(path)])
    assert result.exit_code != 0
    assert f"line 2: overlaps single shift #{existing.id} of Dr Claire Martin" in result.stderr
    assert rows(session) == 1


def test_missing_columns_and_non_utf8_files(runner, ward, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("date,start,senior\n", encoding="utf-8")
    result = runner.invoke(args=["rota", "import", str(path)])
    assert result.exit_code != 0 and "line 1: missing columns: end, specialty" in result.stderr
    path.write_bytes("date,start,end,senior,specialty\n16/03/2026,08:30,18:30,Inès Petit,neurology\n".encode("latin-1"))
    result = runner.invoke(args=["rota", "import", str(path)])
    assert result.exit_code != 0 and "is not UTF-8" in result.output


def test_a_large_file_shows_progress_and_is_written_whole(runner, session, ward, tmp_path):
    lines = ["date,start,end,senior,specialty,layer"]
    day = date(2026, 4, 1)
    from datetime import timedelta

    for i in range(600):
        d = day + timedelta(days=i)
        lines.append(f"{d:%d/%m/%Y},08:30,18:30,Dr Claire Martin,cardiology,primary")
    path = tmp_path / "year.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["rota", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "checking" in result.stderr and "writing" in result.stderr
    assert "600 shifts added" in result.output
    assert rows(session) == 600


def test_dry_run_writes_nothing(runner, session, ward, tmp_path):
    path = tmp_path / "rota.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(args=["rota", "import", "--dry-run", str(path)])
    assert result.exit_code == 0 and "3 shifts to add" in result.output
    assert rows(session) == 0


# -- in French (CLI_LANGUAGE=fr) ----------------------------------------------------------------------

NBSP = "\u00a0"


def test_gaps_and_who_in_french_with_plurals_and_babel_dates(french_cli, session, ward):
    result = french_cli("rota", "gaps", "--from", "2026-05-11", "--days", "7", "--specialty", "neurology")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "du lun. 11/05/2026 00:00 CEST au lun. 18/05/2026 00:00 CEST (7 jours)"
    assert lines[1] == f"neurologie (neurology){NBSP}: 3 trous, 0 conflit"
    assert "  trou      jeu. 14/05/2026 08:30 CEST → ven. 15/05/2026 08:30 CEST  (1 j 0h00, aucun titulaire)" in lines
    assert lines[-1] == "3 trous, 0 conflit dans 1 spécialité"
    who = french_cli("rota", "who", "neurologie", "--at", "2026-03-29 02:30")
    assert who.exit_code == 0, who.output
    assert f"remarque{NBSP}: 02:30 n’existe pas le 29/03/2026 en Europe/Paris{NBSP}: lu comme l’instant du changement d’heure" in who.output
    assert "neurologie (neurology) le dim. 29/03/2026 03:00 CEST" in who.output and "dernier recours" in who.output
    unknown = french_cli("rota", "who", "dermatology")
    assert (
        unknown.exit_code == 1
        and f"aucune spécialité «{NBSP}dermatology{NBSP}»{NBSP}; connues{NBSP}: cardiology, neurology" in unknown.output
    )


def test_import_in_french(french_cli, ward, tmp_path):
    path = tmp_path / "shifts.csv"
    good, bad = "14/03/2026;8h30;18h30;Dr Claire Martin;neurology;backup\n", "31/02/2026;8h30;18h30;X;neurology;\n"
    path.write_text("date;start;end;senior;specialty;layer\n" + good + bad, encoding="utf-8")
    broken = french_cli("rota", "import", str(path))
    assert broken.exit_code == 1
    assert f"{path}{NBSP}: ligne 3{NBSP}: la date «{NBSP}31/02/2026{NBSP}» n’existe pas\n" in broken.stderr
    assert f"{path}{NBSP}: ligne 3{NBSP}: aucun senior nommé «{NBSP}X{NBSP}»\n" in broken.stderr
    assert broken.stderr.endswith(f"Error: 2 problèmes{NBSP}; rien n’a été importé\n")
    path.write_text("date;start;end;senior;specialty;layer\n" + good, encoding="utf-8")
    assert french_cli("rota", "import", str(path), "--dry-run").output == (
        f"1 garde à ajouter, 0 déjà dans Recours (essai{NBSP}: rien n’est écrit)\n"
    )
    assert french_cli("rota", "import", str(path)).output == "1 garde ajoutée, 0 déjà dans Recours\n"


def test_a_calendar_file_is_checked_in_french(french_cli, ward, tmp_path):
    path = tmp_path / "duty.ics"
    event = "BEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20260316\r\nSUMMARY:Astreinte — Dr Claire Martin\r\n"
    event += "CATEGORIES:neurology\r\nEND:VEVENT\r\n"
    path.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//FR\r\n" + event + "END:VCALENDAR\r\n", encoding="utf-8")
    result = french_cli("rota", "import", str(path))
    assert result.exit_code == 1
    assert (
        f"ligne 4{NBSP}: événement sur la journée (DTSTART est une date){NBSP}: une garde a une heure de début et de fin" in result.stderr
    )
    assert "all-day" not in result.stderr


def test_who_gives_its_reasons_in_the_readers_language(french_cli, ward):
    result = french_cli("rota", "who", "neurology")
    assert result.exit_code == 0, result.output
    assert "roulement «\u00a0Jour\u00a0»" in result.output and 'rotation "Jour"' not in result.output
    assert "dernier recours de la spécialité" in result.output
