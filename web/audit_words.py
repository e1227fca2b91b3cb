"""The audit log as a person reads it: ``shift.update`` as « garde modifiée », ``senior_id 9`` as the senior's
name, instants in the department's local time instead of UTC ISO, yes/no, layers and weekdays in words.

The entries keep their machine form (actions, field names, JSON values); only their reading is here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.phones import national
from core.words import N_, Words
from reports.definitions import OUTCOME_LABELS
from rota.models import Department, Senior, Specialty

ACTIONS = {
    "rotation.create": N_("rotation created"),
    "rotation.update": N_("rotation changed"),
    "rotation.delete": N_("rotation deleted"),
    "shift.create": N_("single shift created"),
    "shift.update": N_("single shift changed"),
    "shift.delete": N_("single shift deleted"),
    "shift.import": N_("single shifts imported"),
    "override.create": N_("override created"),
    "override.update": N_("override changed"),
    "override.delete": N_("override deleted"),
    "leave.create": N_("leave declared"),
    "leave.update": N_("leave changed"),
    "leave.delete": N_("leave withdrawn"),
    "swap.request": N_("swap asked for"),
    "swap.accept": N_("swap accepted"),
    "swap.decline": N_("swap declined"),
    "swap.approve": N_("swap approved"),
    "swap.reject": N_("swap rejected"),
    "swap.cancel": N_("swap cancelled"),
    "senior.create": N_("senior added"),
    "senior.update": N_("senior changed"),
    "specialty.create": N_("specialty created"),
    "specialty.update": N_("specialty changed"),
    "department.create": N_("department created"),
    "department.update": N_("department changed"),
    "gp.create": N_("GP added to the directory"),
    "gp.update": N_("GP changed in the directory"),
    "gp.delete": N_("GP removed from the directory"),
    "gp.import": N_("GP directory imported"),
    "user.create": N_("account created"),
    "user.update": N_("account changed"),
    "user.password": N_("password changed"),
    "user.sign_in": N_("signed in"),
    "user.ical": N_("calendar link changed"),
    "callback.done": N_("callback request marked done"),
    "callback.listen": N_("GP's message listened to"),
    "token.create": N_("API token created"),
    "token.revoke": N_("API token revoked"),
    "feed.create": N_("calendar link created"),
    "feed.revoke": N_("calendar link revoked"),
    "softphone.call": N_("simulated call"),
    "ringing.defer_minutes": N_("callback promise minutes changed"),
    "ringing.mode": N_("ringing changed"),
    "slot_pattern.create": N_("urgent slot pattern created"),
    "slot_pattern.update": N_("urgent slot pattern changed"),
    "slot_pattern.delete": N_("urgent slot pattern removed"),
    "urgent_slot.publish": N_("urgent slots published"),
    "urgent_slot.create": N_("urgent slot added"),
    "urgent_slot.delete": N_("urgent slot withdrawn"),
    "urgent_slot.release": N_("urgent slot released to the secretariat"),
    "urgent_slot.book": N_("urgent slot booked"),
    "urgent_slot.confirm": N_("urgent slot confirmed by the secretariat"),
    "urgent_slot.cancel": N_("urgent slot booking cancelled"),
    "prompt.upload": N_("recorded prompt uploaded"),
    "prompt.delete": N_("recorded prompt removed"),
}
# The kinds of change the log can be filtered by (the first word of an action).
KINDS = {
    "rotation": N_("Rotations"),
    "shift": N_("Single shifts"),
    "override": N_("Overrides"),
    "leave": N_("Leave"),
    "swap": N_("Swaps"),
    "senior": N_("Seniors"),
    "specialty": N_("Specialties"),
    "department": N_("Departments"),
    "gp": N_("GP directory"),
    "user": N_("Users"),
    "token": N_("API tokens"),
    "feed": N_("Calendar links"),
    "softphone": N_("Softphone"),
    "slot_pattern": N_("Urgent slot patterns"),
    "urgent_slot": N_("Urgent slots"),
    "prompt": N_("Hotline voice"),
}
FIELDS = {
    "defer_minutes": N_("minutes of a callback promise"),
    "ringing": N_("ringing"),
    "stage_seconds": N_("seconds the primary rings alone"),
    "id": N_("identifier"),
    "created_at": N_("created on"),
    "last_sign_in_at": N_("last signed in"),
    "version": N_("version"),
    "active": N_("active"),
    "anchor_date": N_("first turn starts on"),
    "code": N_("code"),
    "counterpart_id": N_("colleague asked"),
    "department_id": N_("department"),
    "direct_number": N_("direct number"),
    "email": N_("e-mail address"),
    "end_time": N_("ends at"),
    "ends_at": N_("ends"),
    "full_name": N_("name"),
    "from": N_("from"),
    "to": N_("to"),
    "sid": N_("call"),
    "outcome": N_("outcome"),
    "handoff_time": N_("handover time"),
    "heads": N_("heads of department"),
    "language": N_("language"),
    "last_resort_senior_id": N_("last resort"),
    "layer": N_("layer"),
    "leave_policy": N_("when the senior on turn is on leave"),
    "members": N_("seniors in turn"),
    "menu_digit": N_("key in the menu"),
    "name": N_("name"),
    "name_en": N_("name in English"),
    "name_fr": N_("name in French"),
    "note": N_("note"),
    "phones": N_("phone numbers"),
    "public_holidays": N_("public holidays"),
    "reason": N_("reason"),
    "replaced_senior_id": N_("senior replaced"),
    "replacing_senior_id": N_("replaced by"),
    "requester_id": N_("asked by"),
    "return_ends_at": N_("taken in return until"),
    "return_starts_at": N_("taken in return from"),
    "role": N_("role"),
    "rpps": N_("RPPS number"),
    "senior_id": N_("senior"),
    "specialty_id": N_("specialty"),
    "speech_keywords": N_("words a GP may say"),
    "staff_of": N_("staff of the departments"),
    "start_time": N_("starts at"),
    "starts_at": N_("starts"),
    "status": N_("status"),
    "swap_id": N_("swap"),
    "swaps_need_approval": N_("swaps need a head's approval"),
    "timezone": N_("time zone"),
    "turn_days": N_("days per turn"),
    "valid_from": N_("in force from"),
    "valid_until": N_("in force until"),
    "weekdays": N_("days a duty starts on"),
    # urgent slots
    "times": N_("start times"),
    "place": N_("place"),
    "duration_minutes": N_("length (minutes)"),
    "cutoff_minutes": N_("booking closes (minutes before)"),
    "cutoff_at": N_("booking closes"),
    "released_at": N_("released"),
    "pattern_id": N_("pattern"),
    "slot_id": N_("urgent slot"),
    "gp_id": N_("GP"),
    "gp_e164": N_("GP's number"),
    "call_id": N_("call"),
    "booked_at": N_("booked"),
    "confirmed_at": N_("confirmed"),
    "cancelled_at": N_("cancelled"),
    "cancelled_by": N_("cancelled by"),
    "departments": N_("departments"),
    # swaps
    "requested_at": N_("asked on"),
    "answered_at": N_("answered on"),
    "decided_at": N_("decided on"),
    "decided_by_id": N_("decided by"),
    # callback requests
    "caller": N_("caller"),
    "recording_seconds": N_("length of the message (s)"),
    "done_at": N_("done on"),
    "announced_at": N_("announced on"),
    "deadline_at": N_("to be called back by"),
    "escalated_at": N_("escalated on"),
    "acknowledged_at": N_("taken on"),
    "acknowledged_by_senior_id": N_("taken by"),
    "done_by_senior_id": N_("called back by"),
    "done_via": N_("closed through"),
    "recording_deleted_at": N_("message deleted on"),
    "promised_by_senior_id": N_("promised by"),
    "promised_minutes": N_("promised within (minutes)"),
    # recorded prompts
    "key": N_("prompt"),
    "content_type": N_("file type"),
    "size": N_("size (bytes)"),
    "sha256": N_("fingerprint of the file"),
    "filename": N_("file name"),
}
VALUES = {
    "primary": N_("primary"),
    "backup": N_("backup"),
    "skip": N_("the next senior in the turn order takes the turn"),
    "gap": N_("nobody: a gap"),
    "admin": N_("Administrator"),
    "head": N_("Head of department"),
    "manager": N_("Manager"),
    "senior": N_("Senior"),
    "secretariat": N_("Secretariat"),
    "system": N_("the system"),
}
_SENIOR_FIELDS = {
    "senior_id",
    "replaced_senior_id",
    "replacing_senior_id",
    "last_resort_senior_id",
    "requester_id",
    "counterpart_id",
    "decided_by_id",
    "acknowledged_by_senior_id",
    "done_by_senior_id",
    "promised_by_senior_id",
}


@dataclass
class AuditReader:
    """Reads entries for one page: the names behind the ids, the local zone, the reader's words."""

    words: Words
    zone: tzinfo
    seniors: Mapping[int, str] = field(default_factory=dict)
    specialties: Mapping[int, str] = field(default_factory=dict)
    departments: Mapping[int, str] = field(default_factory=dict)
    zones: Mapping[int, tzinfo] = field(default_factory=dict)

    @classmethod
    def for_entries(cls, session: Session, entries: Iterable[Any], words: Words, zone: tzinfo) -> AuditReader:
        senior_ids: set[int] = set()
        for entry in entries:
            for values in (entry.before or {}, entry.after or {}):
                senior_ids |= {v for k, v in values.items() if k in _SENIOR_FIELDS and isinstance(v, int)}
                senior_ids |= {v for v in values.get("members") or [] if isinstance(v, int)}
        seniors = dict(session.execute(select(Senior.id, Senior.full_name).where(Senior.id.in_(senior_ids))).all()) if senior_ids else {}
        name = Specialty.name_en if words.language == "en" else Specialty.name_fr
        departments = session.execute(select(Department.id, Department.name, Department.timezone)).all()
        return cls(
            words,
            zone,
            seniors,
            dict(session.execute(select(Specialty.id, name)).all()),
            {d.id: d.name for d in departments},
            {d.id: ZoneInfo(d.timezone) for d in departments},
        )

    def entry_zone(self, entry: Any) -> tzinfo:
        """The zone of the entry's department (the hotline's own when it has none or several)."""
        zones = {self.zones[d] for d in entry.department_ids or [] if d in self.zones}
        return zones.pop() if len(zones) == 1 else self.zone

    def action(self, action: str) -> str:
        return self.words._(ACTIONS[action]) if action in ACTIONS else action

    def field(self, key: str) -> str:
        return self.words._(FIELDS[key]) if key in FIELDS else key.replace("_", " ")

    def fields(self, keys: Iterable[str]) -> str:
        return ", ".join(self.field(k) for k in keys)

    def actor(self, actor: str) -> str:
        return self.words._(VALUES["system"]) if actor == "system" else actor

    def when(self, at: datetime, zone: tzinfo | None = None) -> str:
        return self.words.instant(at, zone or self.zone, "EEEE d MMMM y, HH:mm")

    def value(self, key: str, value: Any) -> str:
        """A value of the field ``key`` as words: names for ids, local times, yes/no."""
        w = self.words
        if value is None or value == "" or value == []:
            return "—"
        if isinstance(value, bool):
            return w._("yes") if value else w._("no")
        if key in _SENIOR_FIELDS and isinstance(value, int):
            return self.seniors.get(value, f"#{value}")
        if key == "specialty_id" and isinstance(value, int):
            return self.specialties.get(value, f"#{value}")
        if key == "department_id" and isinstance(value, int):
            return self.departments.get(value, f"#{value}")
        if key == "members" and isinstance(value, list):
            return ", ".join(self.seniors.get(v, f"#{v}") for v in value)
        if key == "staff_of" and isinstance(value, list):
            return ", ".join(self.departments.get(v, f"#{v}") for v in value)
        if key == "phones" and isinstance(value, list):
            return ", ".join(national(v) for v in value)
        if key == "weekdays" and isinstance(value, str) and value.isdigit():
            names = w.weekday_names()
            return ", ".join(names[int(d) - 1] for d in value if "1" <= d <= "7")
        if key == "outcome" and isinstance(value, str) and value in OUTCOME_LABELS:
            return w._(OUTCOME_LABELS[value])
        if key in ("from", "to") and isinstance(value, str) and value.startswith("+"):
            return national(value)
        if key == "language" and value in ("fr", "en"):
            return {"fr": "Français", "en": "English"}[value]
        if isinstance(value, str):
            if value in VALUES:
                return w._(VALUES[value])
            instant = _instant(value)
            if instant is not None:
                return self.when(instant)
            day = _day(value)
            if day is not None:
                return w.day(day)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return w.number(value)
        return str(value)


def _instant(text: str) -> datetime | None:
    if len(text) < 16 or "T" not in text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def _day(text: str) -> date | None:
    if len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
