"""How instants, durations and phone numbers read on a page (local time of the department)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.phones import national
from web.i18n import _, month_name, weekday_name


def phone(e164: str | None) -> str:
    return "" if not e164 else national(e164)


def local_time(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%H:%M")


def local_day(day: date) -> str:
    """ "mardi 10 mars 2026" / "Tuesday 10 March 2026"."""
    return f"{weekday_name(day)} {day.day} {month_name(day.month)} {day.year}"


def local_datetime(at: datetime | None, zone: ZoneInfo) -> str:
    if at is None:
        return ""
    local = at.astimezone(zone)
    return f"{local.day:02d}/{local.month:02d}/{local.year} {local:%H:%M} {local.tzname()}"


def duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{hours}h{minutes:02d}"
    return _("{days} d {rest}", days=days, rest=text) if days else text
