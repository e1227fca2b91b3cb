"""Reading callback requests, who to tell about them, and the seniors who reply."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from callbacks.models import CallbackPolicy
from calllog.models import CallbackRequest, CallbackStatus
from notify.models import OutboundMessage
from rota.models import Department, Senior, SeniorPhone, Specialty
from rota.queries import LAST_RESORT, on_duty, on_duty_hunt_list

DEFAULT_ZONE = ZoneInfo("Europe/Paris")

# Outbound-message purposes that tell a senior about a request, and so let them act on it by SMS.
NOTICE_PURPOSES = ("callback_new", "callback_escalation", "callback_promise")


@dataclass(frozen=True)
class Recipient:
    senior_id: int
    name: str
    number: str


def deadline_minutes(session: Session, specialty_id: int | None, default: int) -> int:
    if specialty_id is None:
        return default
    policy = session.get(CallbackPolicy, specialty_id)
    return policy.deadline_minutes if policy is not None else default


def zone_of(session: Session, specialty_id: int | None) -> ZoneInfo:
    """The department's zone, for times written in an SMS ("avant 10:55")."""
    if specialty_id is None:
        return DEFAULT_ZONE
    zone = session.scalar(
        select(Department.timezone).join(Specialty, Specialty.department_id == Department.id).where(Specialty.id == specialty_id)
    )
    return ZoneInfo(zone) if zone else DEFAULT_ZONE


def seniors_on_duty(session: Session, specialty_id: int, at: datetime) -> list[Recipient]:
    """The primaries and backups on duty; when there are none, the last resort (whom the hunt would ring)."""
    hunt = on_duty_hunt_list(session, specialty_id, at)
    on_duty_now = [e for e in hunt if e.layer != LAST_RESORT] or [e for e in hunt if e.layer == LAST_RESORT]
    return [Recipient(e.senior_id, e.name, e.number) for e in on_duty_now]


def department_heads(session: Session, specialty_id: int, at: datetime) -> list[Recipient]:
    """Who is alerted before a deadline: the specialty's last resort, else the department's heads (as
    the rota decides at ``at``: those on leave are skipped)."""
    answer = on_duty(session, specialty_id, at)
    if answer is None:
        return []
    recipients = []
    for senior_id, _why in answer.last_resorts:
        info = answer.seniors.get(senior_id)
        if info is not None and info.number:
            recipients.append(Recipient(senior_id, info.name, info.number))
    return recipients


def open_requests(session: Session) -> Sequence[CallbackRequest]:
    return session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.status == CallbackStatus.OPEN)
        .order_by(CallbackRequest.requested_at, CallbackRequest.id)
    ).all()


def recent_requests(session: Session, since: datetime) -> Sequence[CallbackRequest]:
    return session.scalars(
        select(CallbackRequest).where(CallbackRequest.requested_at >= since).order_by(CallbackRequest.requested_at, CallbackRequest.id)
    ).all()


def open_request_by_code(session: Session, code: str) -> CallbackRequest | None:
    return session.scalars(
        select(CallbackRequest).where(CallbackRequest.code == code, CallbackRequest.status == CallbackStatus.OPEN)
    ).first()


def request_by_code(session: Session, code: str) -> CallbackRequest | None:
    """The open request with this code, else the latest closed one (to say who already called back)."""
    found = open_request_by_code(session, code)
    if found is not None:
        return found
    return session.scalars(
        select(CallbackRequest).where(CallbackRequest.code == code).order_by(CallbackRequest.requested_at.desc())
    ).first()


def senior_by_number(session: Session, e164: str | None) -> Senior | None:
    """The active senior who owns this phone (the sender of an SMS)."""
    if not e164:
        return None
    return session.scalars(
        select(Senior)
        .join(SeniorPhone, SeniorPhone.senior_id == Senior.id)
        .where(SeniorPhone.e164 == e164, Senior.active.is_(True))
        .order_by(Senior.id)
    ).first()


def was_told(session: Session, request_id: int, senior_id: int) -> bool:
    """Whether this senior was sent the request (as on duty or as the head): only they may act on it by SMS."""
    return (
        session.scalar(
            select(OutboundMessage.id)
            .where(
                OutboundMessage.callback_request_id == request_id,
                OutboundMessage.senior_id == senior_id,
                OutboundMessage.purpose.in_(NOTICE_PURPOSES),
            )
            .limit(1)
        )
        is not None
    )


def told_about(session: Session, request_id: int) -> set[int]:
    """The seniors already sent the request (as on duty or as the head)."""
    return set(
        session.scalars(
            select(OutboundMessage.senior_id).where(
                OutboundMessage.callback_request_id == request_id,
                OutboundMessage.senior_id.is_not(None),
                OutboundMessage.purpose.in_(NOTICE_PURPOSES),
            )
        )
    )


def open_requests_told_to(session: Session, senior_id: int) -> Sequence[CallbackRequest]:
    told = select(OutboundMessage.callback_request_id).where(
        OutboundMessage.senior_id == senior_id, OutboundMessage.purpose.in_(NOTICE_PURPOSES)
    )
    return session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.status == CallbackStatus.OPEN, CallbackRequest.id.in_(told))
        .order_by(CallbackRequest.deadline_at, CallbackRequest.id)
    ).all()


def senior_name(session: Session, senior_id: int | None) -> str:
    senior = session.get(Senior, senior_id) if senior_id is not None else None
    return senior.full_name if senior is not None else "un collègue"


# -- the callback requests on the web ---------------------------------------------------------------

STATES = ("open", "overdue", "done", "all")


def requests_page(
    session: Session,
    *,
    state: str,
    now: datetime,
    specialty_ids: frozenset[int] | None,
    specialty_id: int | None = None,
    limit: int,
    offset: int,
) -> tuple[Sequence[CallbackRequest], int]:
    """One page of requests and how many match. ``state``: open (oldest first: the next to call back),
    overdue (open past their deadline), done (latest first) or all (latest first). ``specialty_ids``
    None: every request, those without a specialty included."""
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}")
    conditions = []
    if specialty_ids is not None:
        conditions.append(CallbackRequest.specialty_id.in_(sorted(specialty_ids)))
    if specialty_id is not None:
        conditions.append(CallbackRequest.specialty_id == specialty_id)
    if state in ("open", "overdue"):
        conditions.append(CallbackRequest.status == CallbackStatus.OPEN)
    if state == "overdue":
        conditions.append(CallbackRequest.deadline_at < now)
    if state == "done":
        conditions.append(CallbackRequest.status == CallbackStatus.DONE)
    order = (
        (CallbackRequest.requested_at, CallbackRequest.id)
        if state in ("open", "overdue")
        else (CallbackRequest.requested_at.desc(), CallbackRequest.id.desc())
    )
    total = session.scalar(select(func.count()).select_from(CallbackRequest).where(*conditions)) or 0
    rows = session.scalars(select(CallbackRequest).where(*conditions).order_by(*order).limit(limit).offset(offset)).all()
    return rows, total


def count_open(session: Session, now: datetime, specialty_ids: frozenset[int] | None = None) -> tuple[int, int]:
    """(open, overdue) requests, for the board and the page's tabs."""
    conditions = [CallbackRequest.status == CallbackStatus.OPEN]
    if specialty_ids is not None:
        conditions.append(CallbackRequest.specialty_id.in_(sorted(specialty_ids)))
    overdue = case((CallbackRequest.deadline_at < now, 1), else_=0)
    row = session.execute(select(func.count(), func.coalesce(func.sum(overdue), 0)).select_from(CallbackRequest).where(*conditions)).one()
    return int(row[0]), int(row[1])


def senior_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return dict(session.execute(select(Senior.id, Senior.full_name).where(Senior.id.in_(wanted))).all())
