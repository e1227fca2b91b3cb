"""``flask rota import FILE.ics`` through Flask's CliRunner: the CSV import's rules, for iCalendar events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from core.actor import SYSTEM
from rota import operations as ops
from rota.ical import senior_calendar, specialty_calendar
from rota.models import DutySlot, Layer
from tests.conftest import FIXED_NOW
from tests.rota import test_cli
from tests.rota.builders import paris, utc
from tests.rota.test_cli import rows

ward = test_cli.ward  # the fixture of the CSV import tests


def ics(*events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n"


GOOD = ics(
    # TZID, senior from ATTENDEE CN, specialty and layer from CATEGORIES
    "UID:1\r\nDTSTART;TZID=Europe/Paris:20260316T083000\r\nDTEND;TZID=Europe/Paris:20260316T183000\r\n"
    'ATTENDEE;CN="Dr Claire Martin":mailto:claire@example.org\r\nCATEGORIES:neurology,primary',
    # UTC, senior from SUMMARY after the dash, French specialty name
    "UID:2\r\nDTSTART:20260316T173000Z\r\nDTEND:20260317T073000Z\r\nSUMMARY:Astreinte — Hugo Bernard\r\nCATEGORIES:neurologie",
    # floating (department time), DURATION, X-RECOURS-* properties
    "UID:3\r\nDTSTART:20260317T083000\r\nDURATION:PT10H\r\nSUMMARY:whatever\r\nX-RECOURS-SENIOR:Inès Petit\r\n"
    "X-RECOURS-SPECIALTY:cardiology\r\nX-RECOURS-LAYER:secours",
)


def test_ics_import_writes_every_event_then_is_idempotent(runner, session, ward, tmp_path):
    path = tmp_path / "rota.ics"
    path.write_text(GOOD, encoding="utf-8", newline="")
    result = runner.invoke(args=["rota", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 shifts added, 0 already in Recours" in result.output
    slots = {s.senior_id: s for s in session.scalars(select(DutySlot))}
    claire, hugo, ines = slots[ward["A"].id], slots[ward["B"].id], slots[ward["C"].id]
    assert (claire.specialty_id, claire.layer, claire.starts_at, claire.ends_at) == (
        ward["spec"].id,
        Layer.PRIMARY,
        paris(2026, 3, 16, 8, 30),
        paris(2026, 3, 16, 18, 30),
    )
    assert (hugo.specialty_id, hugo.starts_at, hugo.ends_at) == (ward["spec"].id, utc(2026, 3, 16, 17, 30), utc(2026, 3, 17, 7, 30))
    assert (ines.specialty_id, ines.layer, ines.starts_at, ines.ends_at) == (
        ward["other"].id,
        Layer.BACKUP,
        paris(2026, 3, 17, 8, 30),
        paris(2026, 3, 17, 18, 30),
    )
    again = runner.invoke(args=["rota", "import", str(path)])
    assert again.exit_code == 0 and "0 shifts added, 3 already in Recours" in again.output
    assert rows(session) == 3


BROKEN_EVENTS = [
    # 1 fine
    "UID:ok\r\nDTSTART;TZID=Europe/Paris:20260316T083000\r\nDTEND;TZID=Europe/Paris:20260316T183000\r\n"
    "SUMMARY:Dr Claire Martin\r\nCATEGORIES:neurology",
    # 2 all-day
    "UID:a\r\nDTSTART;VALUE=DATE:20260318\r\nDTEND;VALUE=DATE:20260319\r\nSUMMARY:Dr Claire Martin\r\nCATEGORIES:neurology",
    # 3 recurring
    "UID:b\r\nDTSTART:20260318T073000Z\r\nDTEND:20260318T173000Z\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n"
    "SUMMARY:Hugo Bernard\r\nCATEGORIES:neurology",
    # 4 unknown zone, unknown senior (folded SUMMARY: two physical lines)
    "UID:c\r\nDTSTART;TZID=Mars/Olympus:20260319T083000\r\nDTEND;TZID=Mars/Olympus:20260319T183000\r\n"
    "SUMMARY:Astreinte neurologie — Dr No\r\n body\r\nCATEGORIES:neurology",
    # 5 two specialties, a layer that is not one
    "UID:d\r\nDTSTART:20260320T073000Z\r\nDTEND:20260320T173000Z\r\nSUMMARY:Hugo Bernard\r\nCATEGORIES:neurology,cardiology\r\n"
    "X-RECOURS-LAYER:third",
    # 6 a start skipped by the clock change
    "UID:e\r\nDTSTART;TZID=Europe/Paris:20260329T023000\r\nDTEND;TZID=Europe/Paris:20260329T083000\r\n"
    "SUMMARY:Hugo Bernard\r\nCATEGORIES:neurology",
    # 7 overlaps event 1
    "UID:f\r\nDTSTART;TZID=Europe/Paris:20260316T120000\r\nDTEND;TZID=Europe/Paris:20260316T200000\r\n"
    "SUMMARY:Dr Claire Martin\r\nCATEGORIES:neurology",
    # 8 a DTEND that is not a date-time, and no specialty at all
    "UID:g\r\nDTSTART:20260321T073000Z\r\nDTEND:tomorrow\r\nSUMMARY:Hugo Bernard",
    # 9 no end
    "UID:h\r\nDTSTART:20260322T073000Z\r\nSUMMARY:Hugo Bernard\r\nCATEGORIES:neurology",
]


def test_a_broken_ics_reports_every_bad_event_by_line_and_writes_nothing(runner, session, ward, tmp_path):
    content = ics(*BROKEN_EVENTS)
    path = tmp_path / "broken.ics"
    path.write_text(content, encoding="utf-8", newline="")
    begins = [n for n, line in enumerate(content.splitlines(), 1) if line == "BEGIN:VEVENT"]
    assert begins[:4] == [4, 11, 18, 26]  # the folded SUMMARY of event 4 takes two lines
    result = runner.invoke(args=["rota", "import", str(path)])
    assert result.exit_code != 0
    errors = result.stderr
    expected = {
        2: ["all-day event (DTSTART is a date): a duty needs start and end times"],
        3: ["recurring event (RRULE): export its occurrences as single events"],
        4: ["DTSTART has an unknown time zone 'Mars/Olympus'", "no senior named 'Dr Nobody'"],
        5: ["CATEGORIES name 2 specialties (neurology, cardiology): keep one", "X-RECOURS-LAYER 'third' is not primary or backup"],
        6: ["start 02:30 does not exist on 29/03/2026 in Europe/Paris"],
        7: [f"overlaps line {begins[0]} (Dr Claire Martin)"],
        8: ["DTEND: Wrong date format tomorrow"],
        9: ["no DTEND or DURATION: a duty needs an end"],
    }
    for event, messages in expected.items():
        for message in messages:
            assert f"line {begins[event - 1]}: {message}" in errors, (event, message, errors)
    assert f"line {begins[0]}:" not in errors
    assert "Error: 11 problems; nothing was imported" in errors  # event 4: both DTSTART and DTEND zones
    assert rows(session) == 0


def test_not_a_calendar_cancelled_events_and_options(runner, session, ward, tmp_path):
    path = tmp_path / "bad.ics"
    path.write_text("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n", encoding="utf-8", newline="")
    result = runner.invoke(args=["rota", "import", str(path)])
    assert result.exit_code != 0 and "line 1: not a valid iCalendar file" in result.stderr
    path.write_text(
        ics(
            "UID:x\r\nSTATUS:CANCELLED\r\nDTSTART;VALUE=DATE:20260318\r\nSUMMARY:x",
            "UID:y\r\nDTSTART:20260318T073000Z\r\nDTEND:20260318T173000Z",
        ),
        encoding="utf-8",
        newline="",
    )
    result = runner.invoke(args=["rota", "import", str(path), "--senior", "+33 6 12 34 56 78", "--specialty", "cardiology"])
    # the number is nobody's: the default senior goes through the same matching as the file's
    assert result.exit_code != 0 and "line 10: no senior has the number" in result.stderr
    assert "line 4: cancelled event skipped" in result.stderr
    result = runner.invoke(args=["rota", "import", str(path), "--senior", "Dr Inès Petit", "--specialty", "cardiology"])
    assert result.exit_code == 0, result.output
    assert "1 shift added" in result.output and rows(session) == 1
    csv = tmp_path / "rota.csv"
    csv.write_text("date,start,end,senior,specialty\n", encoding="utf-8")
    result = runner.invoke(args=["rota", "import", str(csv), "--senior", "Dr Inès Petit"])
    assert result.exit_code != 0 and "apply to iCalendar files only" in result.output


def test_the_feeds_recours_exports_import_back(runner, session, ward, tmp_path):
    other, a, b = ward["other"].id, ward["A"].id, ward["B"].id
    ops.add_shift(session, SYSTEM, other, a, "primary", paris(2026, 3, 12, 8, 30), paris(2026, 3, 12, 18, 30))
    ops.add_shift(session, SYSTEM, other, b, "backup", paris(2026, 3, 28, 20), paris(2026, 3, 29, 8))  # across the DST change
    ops.add_shift(session, SYSTEM, other, b, "primary", paris(2026, 3, 14, 8, 30), paris(2026, 3, 14, 18, 30))
    session.commit()
    before = sorted((s.senior_id, s.layer, s.starts_at, s.ends_at) for s in session.scalars(select(DutySlot)))
    feed = tmp_path / "cardiology.ics"
    feed.write_bytes(specialty_calendar(session, other, FIXED_NOW, window=(FIXED_NOW, FIXED_NOW + timedelta(days=60))))
    mine = tmp_path / "hugo.ics"
    mine.write_bytes(senior_calendar(session, b, FIXED_NOW, window=(FIXED_NOW, FIXED_NOW + timedelta(days=60))))

    same = runner.invoke(args=["rota", "import", str(feed)])
    assert same.exit_code == 0 and "0 shifts added, 3 already in Recours" in same.output, same.output

    session.execute(delete(DutySlot))
    session.commit()
    restored = runner.invoke(args=["rota", "import", str(feed)])
    assert restored.exit_code == 0 and "3 shifts added" in restored.output, restored.output
    session.rollback()
    assert sorted((s.senior_id, s.layer, s.starts_at, s.ends_at) for s in session.scalars(select(DutySlot))) == before

    session.execute(delete(DutySlot))
    session.commit()
    nameless = runner.invoke(args=["rota", "import", str(mine)])
    assert nameless.exit_code != 0 and "no senior named" in nameless.stderr
    result = runner.invoke(args=["rota", "import", str(mine), "--senior", "Dr Hugo Bernard"])
    assert result.exit_code == 0, result.output  # his neurology rotation duty comes in as single shifts too
    session.rollback()
    cardiology = select(DutySlot).where(DutySlot.specialty_id == other)
    assert sorted((s.senior_id, s.layer, s.starts_at, s.ends_at) for s in session.scalars(cardiology)) == before[1:]
