"""What came of a conversation (issue 14 item 2).

Once a bridged call has ended, the senior who took it gets one short SMS: reply 1…6 (advice only,
consultation booked, urgent slot booked, direct admission, sent to the emergency department, other), or
tap the link to a page that needs no sign-in — the link is signed and expires, and the page shows no
patient data (there is none to show: only which of six things happened is ever asked). The answer is
stored on the call; reports count outcomes by specialty and month.

Part of the call log's single writer: these are the only functions that change a call's
``conversation_*`` columns. Idempotent; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from calllog.models import CONVERSATION_OUTCOME_LABELS, Attempt, AttemptResult, Call, ConversationOutcome
from core import clock
from core.config import Settings
from notify.models import Channel
from notify.outbox import enqueue

# The reply digit of each outcome, in the order the question lists them.
CHOICES: dict[str, ConversationOutcome] = {str(n): outcome for n, outcome in enumerate(ConversationOutcome, start=1)}
LABELS: dict[ConversationOutcome, str] = CONVERSATION_OUTCOME_LABELS
# The question is worth sending soon after the call; its answer is taken for a week (the link's life).
ASK_WINDOW = timedelta(hours=12)
ANSWER_WINDOW = timedelta(days=7)
PAGE_PATH = "/outcome"
_SALT = "recours.conversation-outcome"


@dataclass(frozen=True)
class Asked:
    """A question due: the call, and the senior who took it (and the phone they took it on)."""

    call: Call
    senior_id: int
    number: str


class _ClockSigner(TimestampSigner):
    """Stamps and checks links with Recours's clock (the one tests and the simulator move)."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=_SALT, signer=_ClockSigner)


def page_token(settings: Settings, call_id: int, senior_id: int) -> str:
    return _serializer(settings).dumps([call_id, senior_id])


def page_url(settings: Settings, call_id: int, senior_id: int) -> str:
    return f"{settings.public_base_url.rstrip('/')}{PAGE_PATH}/{page_token(settings, call_id, senior_id)}"


class BadLink(ValueError):
    """A link that was altered, or is older than :data:`ANSWER_WINDOW`. ``expired`` tells them apart."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def read_token(settings: Settings, token: str) -> tuple[int, int]:
    """(call id, senior id) from a page link, or :class:`BadLink`."""
    try:
        value = _serializer(settings).loads(token, max_age=int(ANSWER_WINDOW.total_seconds()))
    except SignatureExpired:
        raise BadLink(expired=True) from None
    except BadSignature:
        raise BadLink(expired=False) from None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)):
        raise BadLink(expired=False)
    return value[0], value[1]


def taker(session: Session, call: Call) -> Attempt | None:
    """The attempt that was bridged: the senior who held the conversation."""
    return session.scalars(
        select(Attempt).where(Attempt.call_id == call.id, Attempt.result == AttemptResult.ACCEPTED).order_by(Attempt.rank).limit(1)
    ).first()


def due_questions(session: Session, now: datetime) -> list[Asked]:
    """Bridged calls that have ended and whose senior was not asked yet (the recent ones)."""
    calls = session.scalars(
        select(Call)
        .where(
            Call.connected_at.is_not(None),
            Call.ended_at.is_not(None),
            Call.conversation_asked_at.is_(None),
            Call.ended_at >= now - ASK_WINDOW,
        )
        .order_by(Call.ended_at, Call.id)
        .with_for_update()
    ).all()
    due = []
    for call in calls:
        attempt = taker(session, call)
        if attempt is not None and attempt.senior_id is not None and attempt.number:
            due.append(Asked(call, attempt.senior_id, attempt.number))
    return due


def ask(session: Session, settings: Settings, now: datetime) -> int:
    """Queue the one question SMS per ended conversation (the scheduler's tick). Returns how many."""
    from callbacks import messages
    from callbacks.queries import zone_of
    from directory.queries import gp_name
    from rota.queries import specialty_name

    queued = 0
    for asked in due_questions(session, now):
        call = asked.call
        language = messages.senior_language(session, asked.senior_id, settings.web.default_language)
        gp = messages.gp_label(gp_name(session, call.gp_id), call.caller_e164, language)
        specialty = specialty_name(session, call.specialty_id, language) or ""
        at = messages.hhmm(call.connected_at or call.started_at, zone_of(session, call.specialty_id))
        body = messages.conversation_question(gp, specialty, at, page_url(settings, call.id, asked.senior_id), language)
        queued += enqueue(
            session,
            dedup_key=f"conversation:{call.id}",
            channel=Channel.SMS,
            purpose="conversation_outcome",
            recipient=asked.number,
            body=body,
            senior_id=asked.senior_id,
            now=now,
            max_attempts=settings.notify.max_attempts,
            expires_at=now + ASK_WINDOW,
        )
        call.conversation_asked_at = now
    session.flush()
    return queued


def awaiting_answer(session: Session, senior_id: int, now: datetime) -> Call | None:
    """The latest conversation this senior was asked about and has not answered (an SMS reply "2" is
    about that one)."""
    return session.scalars(
        select(Call)
        .join(Attempt, Attempt.call_id == Call.id)
        .where(
            Attempt.senior_id == senior_id,
            Attempt.result == AttemptResult.ACCEPTED,
            Call.conversation_asked_at.is_not(None),
            Call.conversation_asked_at >= now - ANSWER_WINDOW,
            Call.conversation_outcome.is_(None),
        )
        .order_by(Call.conversation_asked_at.desc(), Call.id.desc())
        .limit(1)
        .with_for_update()
    ).first()


def record(session: Session, call: Call, outcome: ConversationOutcome, via: str, now: datetime) -> bool:
    """Store the senior's answer; a later answer corrects an earlier one. False when nothing changed."""
    if call.conversation_outcome is outcome:
        return False
    call.conversation_outcome, call.conversation_answered_at, call.conversation_via = outcome, now, via
    session.flush()
    return True


def call_for_page(session: Session, call_id: int, senior_id: int) -> Call | None:
    """The call a page link is about, if that senior really took it."""
    call = session.scalars(select(Call).where(Call.id == call_id).with_for_update()).first()
    if call is None:
        return None
    attempt = taker(session, call)
    return call if attempt is not None and attempt.senior_id == senior_id else None
