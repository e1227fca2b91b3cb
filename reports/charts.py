"""The report's charts, drawn on the server as SVG: no script, no CDN, printable, readable by screen
readers (each has a title and a description), and a plain picture for hospital dashboards.

Built with ElementTree, which escapes every name and label; the page embeds the markup as it is. Every
title, label, legend and number is in the reader's language (``words``).
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from markupsafe import Markup

from core.words import Words
from reports.definitions import OUTCOME_LABELS, OUTCOMES, RESULT_LABELS, RESULTS
from reports.figures import HeatMap, Report, SeniorFigures, SpecialtyFigures, WeekFigures

FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"
INK, MUTED, GRID = "#1f2933", "#616e7c", "#e4e7eb"
CONNECTED, NOT_CONNECTED, LINE = "#2f855a", "#c05621", "#2b6cb0"
# One colour per attempt result, in RESULTS order; misses in warm colours.
RESULT_COLOURS = (
    "#2f855a",
    "#c05621",
    "#d69e2e",
    "#9b2c2c",
    "#805ad5",
    "#3182ce",
    "#4a5568",
    "#718096",
    "#a0aec0",
    "#b7791f",
    "#cbd5e0",
)


class Svg:
    """A small SVG document: sized, titled, described."""

    def __init__(self, width: int, height: int, title: str, description: str) -> None:
        self.root = ET.Element(
            "svg",
            {
                "xmlns": "http://www.w3.org/2000/svg",
                "width": str(width),
                "height": str(height),
                "viewBox": f"0 0 {width} {height}",
                "role": "img",
                "font-family": FONT,
                "font-size": "12",
            },
        )
        ET.SubElement(self.root, "title").text = title
        ET.SubElement(self.root, "desc").text = description

    def add(self, tag: str, parent: ET.Element | None = None, text: str | None = None, **attributes: object) -> ET.Element:
        # Python names for SVG attributes: font_size → font-size.
        names = {k.rstrip("_").replace("_", "-"): str(v) for k, v in attributes.items()}
        element = ET.SubElement(self.root if parent is None else parent, tag, names)
        if text is not None:
            element.text = text
        return element

    def text(self, x: float, y: float, words: str, **attributes: object) -> ET.Element:
        return self.add("text", text=words, x=f"{x:.1f}", y=f"{y:.1f}", fill=attributes.pop("fill", INK), **attributes)

    def rect(self, x: float, y: float, width: float, height: float, fill: str, tooltip: str | None = None) -> ET.Element:
        rect = self.add("rect", x=f"{x:.1f}", y=f"{y:.1f}", width=f"{max(width, 0):.1f}", height=f"{max(height, 0):.1f}", fill=fill)
        if tooltip:
            self.add("title", rect, text=tooltip)
        return rect

    def markup(self) -> Markup:
        return Markup(ET.tostring(self.root, encoding="unicode"))


def _percent(w: Words, value: float | None) -> str:
    return "—" if value is None else w.percent(value)


def heat_map(w: Words, heat: HeatMap, zone: str) -> Markup:
    """Calls by weekday (rows) and local hour (columns); darker is more calls. Hover: calls, connected."""
    cell, left, top = 32, 44, 30
    days = w.weekday_names("abbreviated")
    svg = Svg(
        left + 24 * cell + 10,
        top + 7 * cell + 40,
        w._("Calls by day of the week and hour"),
        w._("Number of calls by local hour ({zone}).", zone=zone),
    )
    peak = max((max(row) for row in heat.calls), default=0) or 1
    for hour in range(24):
        if hour % 2 == 0:
            svg.text(left + hour * cell + cell / 2, top - 8, f"{hour:02d}", text_anchor="middle", fill=MUTED)
    for day in range(7):
        svg.text(left - 8, top + day * cell + cell / 2 + 4, days[day], text_anchor="end")
        for hour in range(24):
            calls, connected = heat.calls[day][hour], heat.connected[day][hour]
            shade = calls / peak
            colour = "#f5f7fa" if calls == 0 else _blend("#e3f2fd", "#0b3c5d", shade)
            svg.rect(
                left + hour * cell + 1,
                top + day * cell + 1,
                cell - 2,
                cell - 2,
                colour,
                w._(
                    "{day} {hour}:00–{hour}:59: {calls}, {connected}",
                    day=days[day],
                    hour=f"{hour:02d}",
                    calls=w.ngettext("{count} call", "{count} calls", calls),
                    connected=w.ngettext("{count} connected", "{count} connected", connected),
                ),
            )
            if calls:
                svg.text(
                    left + hour * cell + cell / 2, top + day * cell + cell / 2 + 4, str(calls), text_anchor="middle",
                    font_size="10" if calls < 1000 else "8", fill="#ffffff" if shade > 0.55 else INK,
                )  # fmt: skip
    darkest = w.ngettext(
        "Hours in local time ({zone}); darkest = {count} call.", "Hours in local time ({zone}); darkest = {count} calls.", peak, zone=zone
    )
    svg.text(left, top + 7 * cell + 24, darkest, fill=MUTED)
    return svg.markup()


def _blend(low: str, high: str, t: float) -> str:
    a = [int(low[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(high[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def weekly_trend(w: Words, weeks: list[WeekFigures]) -> Markup:
    """Calls per week as bars (connected / not connected) and the miss rate of attempts as a line."""
    left, top, plot_h, bar = 48, 20, 180, max(8, min(36, 640 // max(len(weeks), 1)))
    width = left + bar * len(weeks) + 60
    svg = Svg(
        width,
        top + plot_h + 70,
        w._("Week by week"),
        w._("Bars: calls per week, the connected part in green. Line: share of attempts missed by the seniors (right axis)."),
    )
    peak = max((w.calls.total for w in weeks), default=0) or 1
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        svg.add("line", x1=left, x2=left + bar * len(weeks), y1=f"{y:.1f}", y2=f"{y:.1f}", stroke=GRID)
        svg.text(left - 6, y + 4, w.number(round(peak * fraction)), text_anchor="end", fill=MUTED)
        svg.text(left + bar * len(weeks) + 6, y + 4, w.percent(fraction, 0), fill=LINE)
    points = []
    for n, week in enumerate(weeks):
        x = left + n * bar
        total, connected = week.calls.total, week.calls.counts.get("connected", 0)
        h_total, h_connected = plot_h * total / peak, plot_h * connected / peak
        figures = {
            "day": w.day(week.week_start, "d MMM y"),
            "calls": w.ngettext("{count} call", "{count} calls", total),
            "connected": w.ngettext("{count} connected", "{count} connected", connected),
        }
        if week.partial:
            label = w._("week of {day} (partial): {calls}, {connected}", **figures)
        else:
            label = w._("week of {day}: {calls}, {connected}", **figures)
        svg.rect(x + 1, top + plot_h - h_total, bar - 2, h_total - h_connected, NOT_CONNECTED, label)
        svg.rect(x + 1, top + plot_h - h_connected, bar - 2, h_connected, CONNECTED, label)
        if week.attempts.miss_rate is not None:
            points.append(f"{x + bar / 2:.1f},{top + plot_h * (1 - week.attempts.miss_rate):.1f}")
        if n % max(1, len(weeks) // 8) == 0:
            svg.text(x + bar / 2, top + plot_h + 16, f"{week.week_start:%d/%m}", text_anchor="middle", fill=MUTED, font_size="10")
    if points:
        svg.add("polyline", points=" ".join(points), fill="none", stroke=LINE, stroke_width=2)
    legend_y = top + plot_h + 40
    legend = ((CONNECTED, w._("connected")), (NOT_CONNECTED, w._("not connected")), (LINE, w._("attempts missed (%)")))
    for n, (colour, words) in enumerate(legend):
        svg.rect(left + n * 150, legend_y - 10, 12, 12, colour)
        svg.text(left + n * 150 + 18, legend_y, words)
    return svg.markup()


def attempts_by_result(w: Words, rows: list[SeniorFigures] | list[SpecialtyFigures], title: str) -> Markup:
    """One stacked bar per senior or specialty: its attempts split by result."""
    label_w, bar_w, row_h, top, legend_w = 190, 420, 22, 10, 190
    shown = [r for r in rows if r.attempts.total][:25]
    height = top + row_h * len(shown) + 60
    width = max(label_w + bar_w + 160, label_w + 4 * legend_w)
    svg = Svg(width, height, title, w._("Attempts split by result; the first segments are accepted calls."))
    peak = max((r.attempts.total for r in shown), default=0) or 1
    for n, row in enumerate(shown):
        y = top + n * row_h
        svg.text(label_w - 8, y + row_h / 2 + 4, row.name, text_anchor="end")
        x = label_w
        for result, colour in zip(RESULTS, RESULT_COLOURS, strict=True):
            count = row.attempts.counts.get(result, 0)
            if count:
                segment = bar_w * count / peak
                tooltip = w._("{label}: {count}", label=row.name, count=f"{w.number(count)} {w._(RESULT_LABELS[result])}")
                svg.rect(x, y + 3, segment, row_h - 6, colour, tooltip)
                x += segment
        missed = w._("{attempts} · missed {rate}", attempts=w.number(row.attempts.total), rate=_percent(w, row.attempts.miss_rate))
        svg.text(x + 6, y + row_h / 2 + 4, missed, fill=MUTED)
    legend_y = top + row_h * len(shown) + 24
    for n, (result, colour) in enumerate(zip(RESULTS, RESULT_COLOURS, strict=True)):
        x, y = label_w + (n % 4) * legend_w, legend_y + (n // 4) * 18
        svg.rect(x, y - 10, 12, 12, colour)
        svg.text(x + 18, y, w._(RESULT_LABELS[result]))
    return svg.markup()


def outcomes(w: Words, report: Report) -> Markup:
    """Calls by outcome as horizontal bars with their rates."""
    label_w, bar_w, row_h, top = 190, 380, 24, 10
    svg = Svg(
        label_w + bar_w + 140, top + row_h * len(OUTCOMES) + 10, w._("Calls by outcome"), w._("Number and share of calls by outcome.")
    )
    peak = max(report.calls.counts.values(), default=0) or 1
    for n, outcome in enumerate(OUTCOMES):
        y = top + n * row_h
        count = report.calls.counts.get(outcome, 0)
        label = w._(OUTCOME_LABELS[outcome])
        svg.text(label_w - 8, y + row_h / 2 + 4, label, text_anchor="end")
        colour = CONNECTED if outcome == "connected" else NOT_CONNECTED
        svg.rect(label_w, y + 4, bar_w * count / peak, row_h - 8, colour, w._("{label}: {count}", label=label, count=w.number(count)))
        share = f"{w.number(count)} ({_percent(w, report.calls.rate(outcome))})"
        svg.text(label_w + bar_w * count / peak + 6, y + row_h / 2 + 4, share, fill=MUTED)
    return svg.markup()


def waiting_times(w: Words, report: Report) -> Markup:
    """Median (bar) and p90 (tick) of the time to first ring and to connection, by specialty."""
    rows = [(s.name, s.to_first_ring, s.to_connection) for s in report.specialties if s.to_first_ring.count or s.to_connection.count]
    rows.insert(0, (w._("all"), report.to_first_ring, report.to_connection))
    label_w, bar_w, row_h, top = 190, 380, 34, 10
    svg = Svg(
        label_w + bar_w + 170,
        top + row_h * len(rows) + 40,
        w._("Time to reach a senior"),
        w._(
            "For each specialty: median time to the first senior's phone ringing (upper bar) and to connection (lower bar); "
            "the tick is the 90th percentile."
        ),
    )
    peak = max((v for _, a, b in rows for v in (a.p90, b.p90) if v is not None), default=0) or 1
    for n, (name, ring, connection) in enumerate(rows):
        y = top + n * row_h
        svg.text(label_w - 8, y + row_h / 2 + 4, name, text_anchor="end")
        for k, (stats, colour, words) in enumerate(((ring, LINE, w._("first ring")), (connection, CONNECTED, w._("connection")))):
            if stats.median is None:
                continue
            bar_y = y + 4 + k * 13
            p90 = stats.p90 if stats.p90 is not None else stats.median
            tooltip = w._(
                "{name}, {what}: median {median}, p90 {p90}", name=name, what=words, median=w.seconds(stats.median), p90=w.seconds(p90)
            )
            svg.rect(label_w, bar_y, bar_w * stats.median / peak, 10, colour, tooltip)
            tick_x = label_w + bar_w * p90 / peak
            svg.add("line", x1=f"{tick_x:.1f}", x2=f"{tick_x:.1f}", y1=bar_y - 2, y2=bar_y + 12, stroke=INK, stroke_width=2)
            svg.text(tick_x + 6, bar_y + 9, f"{w.seconds(stats.median, 0)} / {w.seconds(p90, 0)}", fill=MUTED, font_size="10")
    legend_y = top + row_h * len(rows) + 24
    for n, (colour, words) in enumerate(((LINE, w._("to first ring")), (CONNECTED, w._("to connection")))):
        svg.rect(label_w + n * 150, legend_y - 10, 12, 12, colour)
        svg.text(label_w + n * 150 + 18, legend_y, words)
    svg.text(label_w + 300, legend_y, w._("bar: median · tick: p90"), fill=MUTED)
    return svg.markup()


def all_charts(report: Report, w: Words) -> dict[str, Markup]:
    """Every chart of the main report, by the name of its SVG download, in the language of ``w``."""
    return {
        "outcomes": outcomes(w, report),
        "waiting_times": waiting_times(w, report),
        "heat_map": heat_map(w, report.heat_map, report.scope.period.zone.key),
        "weeks": weekly_trend(w, report.weeks),
        # The seniors rung most first: the chart shows 25 at most, the table every one.
        "seniors": attempts_by_result(w, sorted(report.seniors, key=lambda s: -s.attempts.total), w._("Attempts by senior")),
        "specialty_attempts": attempts_by_result(w, report.specialties, w._("Attempts by specialty")),
    }
