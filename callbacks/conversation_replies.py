"""A senior's SMS reply to "what came of the call?": one digit, 1…6 (calllog/conversation.py).

Callback codes have four digits or more, so a single digit is never a callback command; any other text
goes to the callback commands, except the unreadable ones while a question waits, which get the
question's help.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from callbacks import messages
from callbacks.sms_commands import parse, words
from calllog import conversation
from core.config import Settings
from rota.models import Senior


def answer_sms(session: Session, settings: Settings, senior: Senior, body: str, now: datetime) -> str | None:
    """The reply to send, or None when the SMS is not about a conversation."""
    tokens = words(body or "")
    if not tokens:
        return None
    language = messages.senior_language(session, senior.id, settings.web.default_language)
    first = tokens[0]
    single_digit = first.isdigit() and len(first) == 1
    if not single_digit and parse(body).action != "help":
        return None  # a callback command: OK 4821, R 4821, LISTE
    pending = conversation.awaiting_answer(session, senior.id, now)
    if pending is None:
        return messages.no_conversation_pending(language) if single_digit else None
    outcome = conversation.CHOICES.get(first) if single_digit and len(tokens) == 1 else None
    if outcome is None:
        return messages.conversation_help(language)
    conversation.record(session, pending, outcome, "sms", now)
    return messages.conversation_recorded(conversation.LABELS[outcome], language)
