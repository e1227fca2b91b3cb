"""The report as named tables: the one layout the page, the CSV downloads and ``flask report`` share.

A cell holds the value (a count, a rate as a fraction, seconds, text); each column says what kind of
value it holds, and each output formats it in its own way (a percentage on the page, 0.6667 in CSV).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from core.words import N_, Words
from reports.definitions import (
    CALLBACK_LABELS,
    CONVERSATION_LABELS,
    LAYER_LABELS,
    OUTCOME_LABELS,
    OUTCOMES,
    RESULT_LABELS,
    RESULTS,
    WEEKDAYS,
    rate,
)
from reports.figures import AttemptCounts, DurationStats, Report, UnansweredPage
from reports.follow_up import CONVERSATION_KEYS

Kind = Literal["text", "count", "rate", "seconds"]
Cell = str | int | float | None


def _message(words: Words, value: str) -> str:
    return words._(value)


def _labelled(labels: Mapping[str, str]) -> Callable[[Words, str], str]:
    """Codes of the database ("no_answer") shown as the catalogue's words for them ("pas de réponse")."""
    return lambda words, value: words._(labels.get(value, value))


def _weekday(words: Words, value: str) -> str:
    return words.weekday_names("abbreviated")[WEEKDAYS.index(value)]


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind = "count"
    # How a person reads a text cell of this column, in their language (machines get the value as it is).
    label: Callable[[Words, str], str] | None = None

    def text_for(self, words: Words, value: str) -> str:
        return self.label(words, value) if self.label is not None else value


@dataclass(frozen=True)
class Table:
    name: str  # the CSV file name and the ``--table`` of the command line
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    # When the last column holds different kinds of value, row by row (the overview).
    last_column_kinds: tuple[Kind, ...] | None = None
    # Titles and column titles may name the time zone: "Calls by hour of the day ({zone})".
    zone: str = ""

    def heading(self, words: Words | None = None) -> str:
        return words._(self.title, zone=self.zone) if words else self.title.format(zone=self.zone)

    def column_titles(self, words: Words | None = None) -> list[str]:
        return [words._(c.title, zone=self.zone) if words else c.title.format(zone=self.zone) for c in self.columns]

    def kinds(self, row_number: int) -> tuple[Kind, ...]:
        kinds = tuple(c.kind for c in self.columns)
        if self.last_column_kinds is not None:
            kinds = (*kinds[:-1], self.last_column_kinds[row_number])
        return kinds


SUMMARY_TABLES = (
    "overview",
    "outcomes",
    "specialties",
    "specialty_attempts",
    "seniors",
    "most_missed",
    "heat_map",
    "hours",
    "weeks",
    "callbacks",
    "follow_up",
    "promises",
)
ALL_TABLES = (*SUMMARY_TABLES, "unanswered")

_RESULT_COLUMNS = tuple(Column(RESULT_LABELS[r]) for r in RESULTS)
_ATTEMPT_TAIL = (Column(N_("missed")), Column(N_("miss rate"), "rate"))


def _attempt_cells(counts: AttemptCounts) -> tuple[Cell, ...]:
    return (counts.total, *(counts.counts.get(r, 0) for r in RESULTS), counts.missed, counts.miss_rate)


def _duration_cells(stats: DurationStats) -> tuple[Cell, ...]:
    return (stats.median, stats.p90)


def summary_tables(report: Report) -> dict[str, Table]:
    """Every table of the main report, by name, in page order."""
    calls = report.calls
    overview = (
        (N_("calls"), calls.total, "count"),
        (N_("connected rate"), calls.rate("connected"), "rate"),
        (N_("callback-requested rate"), calls.rate("callback_requested"), "rate"),
        (N_("abandoned in the menu"), calls.counts["abandoned_in_menu"], "count"),
        (N_("abandoned while hunting"), calls.counts["abandoned_while_hunting"], "count"),
        (N_("nobody on duty (outcome)"), calls.counts["nobody_on_duty"], "count"),
        (N_("found nobody on duty (any outcome)"), report.found_nobody_on_duty, "count"),
        (N_("time to first ring, median (s)"), report.to_first_ring.median, "seconds"),
        (N_("time to first ring, p90 (s)"), report.to_first_ring.p90, "seconds"),
        (N_("time to connection, median (s)"), report.to_connection.median, "seconds"),
        (N_("time to connection, p90 (s)"), report.to_connection.p90, "seconds"),
        (N_("attempts"), report.attempts.total, "count"),
        (N_("missed attempts"), report.attempts.missed, "count"),
        (N_("miss rate"), report.attempts.miss_rate, "rate"),
        (N_("callback requests"), report.callbacks.requested, "count"),
        (N_("callback requests open"), report.callbacks.open, "count"),
        (N_("callback requests overdue"), report.callbacks.open_overdue, "count"),
    )
    tables = [
        Table(
            "overview",
            N_("Overview"),
            (Column(N_("figure"), "text", _message), Column(N_("value"), "text")),
            tuple((label, value) for label, value, _ in overview),
            last_column_kinds=tuple(kind for _, _, kind in overview),  # type: ignore[misc]
        ),
        Table(
            "outcomes",
            N_("Calls by outcome"),
            (Column(N_("outcome"), "text", _message), Column(N_("calls")), Column(N_("rate"), "rate")),
            tuple((OUTCOME_LABELS[o], calls.counts.get(o, 0), calls.rate(o)) for o in OUTCOMES),
        ),
        Table(
            "specialties",
            N_("Calls by specialty"),
            (
                Column(N_("specialty"), "text"),
                Column(N_("calls")),
                Column(N_("connected")),
                Column(N_("connected rate"), "rate"),
                Column(N_("callback requested")),
                Column(N_("callback-requested rate"), "rate"),
                Column(N_("abandoned while hunting")),
                Column(N_("nobody on duty")),
                Column(N_("found nobody on duty")),
                Column(N_("first ring median (s)"), "seconds"),
                Column(N_("first ring p90 (s)"), "seconds"),
                Column(N_("connection median (s)"), "seconds"),
                Column(N_("connection p90 (s)"), "seconds"),
            ),
            tuple(
                (
                    s.name,
                    s.calls.total,
                    s.calls.counts["connected"],
                    s.calls.rate("connected"),
                    s.calls.counts["callback_requested"],
                    s.calls.rate("callback_requested"),
                    s.calls.counts["abandoned_while_hunting"],
                    s.calls.counts["nobody_on_duty"],
                    s.found_nobody_on_duty,
                    *_duration_cells(s.to_first_ring),
                    *_duration_cells(s.to_connection),
                )
                for s in report.specialties
            ),
        ),
        Table(
            "specialty_attempts",
            N_("Attempts by specialty and result"),
            (Column(N_("specialty"), "text"), Column(N_("attempts")), *_RESULT_COLUMNS, *_ATTEMPT_TAIL),
            tuple((s.name, *_attempt_cells(s.attempts)) for s in report.specialties),
        ),
        Table(
            "seniors",
            N_("Attempts by senior and result"),
            (Column(N_("senior"), "text"), Column(N_("attempts")), *_RESULT_COLUMNS, *_ATTEMPT_TAIL),
            tuple((s.name, *_attempt_cells(s.attempts)) for s in report.seniors),
        ),
        Table(
            "most_missed",
            N_("Seniors with the most missed attempts"),
            (
                Column(N_("rank")),
                Column(N_("senior"), "text"),
                Column(N_("missed")),
                Column(N_("attempts")),
                Column(N_("miss rate"), "rate"),
            ),
            tuple((n, s.name, s.attempts.missed, s.attempts.total, s.attempts.miss_rate) for n, s in enumerate(report.most_missed, 1)),
        ),
        Table(
            "heat_map",
            N_("Calls by day of the week and hour ({zone})"),
            (Column(N_("day"), "text", _weekday), *(Column(f"{h:02d}h") for h in range(24))),
            tuple((WEEKDAYS[d], *report.heat_map.calls[d]) for d in range(7)),
            zone=report.scope.period.zone.key,
        ),
        Table(
            "hours",
            N_("Calls by hour of the day ({zone})"),
            (
                Column(N_("hour"), "text"),
                Column(N_("calls")),
                Column(N_("connected")),
                Column(N_("not connected")),
                Column(N_("connected rate"), "rate"),
            ),
            tuple((f"{h:02d}:00", c, k, c - k, rate(k, c)) for h, c, k in report.heat_map.hours()),
            zone=report.scope.period.zone.key,
        ),
        Table(
            "weeks",
            N_("Week by week"),
            (
                Column(N_("week starting"), "text"),
                Column(N_("days in period")),
                Column(N_("calls")),
                Column(N_("connected")),
                Column(N_("connected rate"), "rate"),
                Column(N_("callback requested")),
                Column(N_("abandoned while hunting")),
                Column(N_("found nobody on duty")),
                Column(N_("attempts")),
                Column(N_("missed")),
                Column(N_("miss rate"), "rate"),
            ),
            tuple(
                (
                    w.week_start.isoformat(),
                    w.days_in_period,
                    w.calls.total,
                    w.calls.counts["connected"],
                    w.calls.rate("connected"),
                    w.calls.counts["callback_requested"],
                    w.calls.counts["abandoned_while_hunting"],
                    w.found_nobody_on_duty,
                    w.attempts.total,
                    w.attempts.missed,
                    w.attempts.miss_rate,
                )
                for w in report.weeks
            ),
        ),
        Table(
            "callbacks",
            N_("Callback requests"),
            (
                Column(N_("specialty"), "text"),
                Column(N_("requested")),
                Column(N_("open")),
                Column(N_("overdue")),
                Column(N_("done")),
                Column(N_("done late")),
                Column(N_("time to callback median (s)"), "seconds"),
                Column(N_("time to callback p90 (s)"), "seconds"),
            ),
            tuple(
                (label, f.requested, f.open, f.open_overdue, f.done, f.done_late, *_duration_cells(f.time_to_callback))
                for label, f in (("all", report.callbacks), *report.callbacks_by_specialty.items())
            ),
        ),
        Table(
            "follow_up",
            N_("After the call, by specialty and month"),
            (
                Column(N_("month"), "text"),
                Column(N_("specialty"), "text"),
                Column(N_("connected")),
                *(Column(CONVERSATION_LABELS[key]) for key in CONVERSATION_KEYS),
                Column(N_("deferred")),
                Column(N_("promises kept")),
                Column(N_("promises broken")),
            ),
            tuple(
                (m.month, m.specialty, m.connected, *(m.outcomes[key] for key in CONVERSATION_KEYS), m.deferred, m.kept, m.broken)
                for m in report.follow_up.months
            ),
        ),
        Table(
            "promises",
            N_("Calls taken and callback promises by senior"),
            (
                Column(N_("senior"), "text"),
                Column(N_("taken")),
                Column(N_("deferred")),
                Column(N_("kept")),
                Column(N_("broken")),
                Column(N_("not due yet")),
            ),
            tuple((p.senior, p.taken, p.deferred, p.kept, p.broken, p.pending) for p in report.follow_up.promises),
        ),
    ]
    return {t.name: t for t in tables}


def unanswered_table(page: UnansweredPage) -> Table:
    """One row per attempt (one for a call without any), calls newest first, attempts in hunt order."""
    rows: list[tuple[Cell, ...]] = []
    for call in page.calls:
        started = call.local_start.strftime("%Y-%m-%d %H:%M:%S")
        head = (call.call_id, started, call.specialty, call.caller, call.outcome, call.callback_status)
        if not call.attempts:
            rows.append((*head, None, None, None, None, None, None, None, None))
        for a in call.attempts:
            rows.append((*head, a.position, a.layer, a.senior, a.number, a.result, a.ringing_after, a.answered_after, a.ended_after))
    zone = page.scope.period.zone.key
    return Table(
        "unanswered",
        "Unanswered calls and their attempts",
        (
            Column(N_("call"), "count"),
            Column(N_("started ({zone})"), "text"),
            Column(N_("specialty"), "text"),
            Column(N_("caller"), "text"),
            Column(N_("outcome"), "text", _labelled(OUTCOME_LABELS)),
            Column(N_("callback"), "text", _labelled(CALLBACK_LABELS)),
            Column(N_("attempt"), "count"),
            Column(N_("layer"), "text", _labelled(LAYER_LABELS)),
            Column(N_("senior"), "text"),
            Column(N_("number"), "text"),
            Column(N_("result"), "text", _labelled(RESULT_LABELS)),
            Column(N_("ringing after (s)"), "seconds"),
            Column(N_("answered after (s)"), "seconds"),
            Column(N_("ended after (s)"), "seconds"),
        ),
        tuple(rows),
        zone=zone,
    )


def format_cell(value: Cell, kind: Kind, words: Words | None = None, *, for_csv: bool = False) -> str:
    """A value as text: rates as percentages (fractions in CSV), seconds to a tenth (to the ms in CSV),
    "—" for undefined (empty in CSV). With ``words``, numbers are written as that language writes them
    (``33,3 %``, ``18,0``; ``0,6667`` in a French CSV, never grouped so a spreadsheet reads a number);
    without, as machines read them (``0.6667``)."""
    if value is None:
        return "" if for_csv else "—"
    if isinstance(value, str):
        return value
    if for_csv:
        digits = {"rate": 4, "seconds": 3}.get(kind)
        if words is None:
            return str(value) if digits is None else f"{value:.{digits}f}"
        return str(value) if digits is None else words.decimal(value, digits, grouping=False)
    if words is None:
        if kind == "rate":
            return f"{100 * value:.1f} %"
        return f"{value:.1f}" if kind == "seconds" else str(value)
    if kind == "rate":
        return words.percent(value)
    return words.decimal(value, 1) if kind == "seconds" else words.number(value)
