"""What Recours writes to seniors by SMS, in the senior's language (their web account's, otherwise the
hotline's default: French, the hospital's working language). The sentences are catalogue messages.

No patient data, ever: the GP's name (a professional), the specialty, a code and times. Kept to the
GSM alphabet where possible (é, è, à are in it; ê, ç are not) so an SMS stays one or two segments: the
non-breaking spaces and « guillemets » of French typography are sent as plain spaces and quotes.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.phones import national
from core.words import DEFAULT_LANGUAGE, in_language
from directory.queries import titled

_GSM = str.maketrans({"\u00a0": " ", "\u202f": " ", "«": '"', "»": '"', "’": "'", "“": '"', "”": '"'})


def _sms(language: str, message: str, **values: object) -> str:
    return in_language(language)._(message, **values).translate(_GSM)


def senior_language(session: Session, senior_id: int | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The language of the senior's web account, else the hotline's default."""
    from accounts.models import User

    chosen = session.scalar(select(User.language).where(User.senior_id == senior_id)) if senior_id is not None else None
    return chosen or default


def hhmm(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%H:%M")


def day_hhmm(at: datetime, zone: ZoneInfo, language: str = DEFAULT_LANGUAGE) -> str:
    """``mar. 10/03 14:30``: the day's short name in the reader's language."""
    local = at.astimezone(zone)
    return f"{in_language(language).weekday(local.date(), 'abbreviated')} {local:%d/%m %H:%M}"


def gp_label(gp_name: str | None, caller_e164: str | None, language: str = DEFAULT_LANGUAGE) -> str:
    if gp_name:
        return titled(gp_name)
    if caller_e164:
        return _sms(language, "an unidentified GP ({number})", number=national(caller_e164))
    return _sms(language, "a GP with a hidden number")


def new_request(code: str, gp: str, specialty: str, deadline: str, hidden: bool, language: str = DEFAULT_LANGUAGE) -> str:
    if hidden:
        return _sms(
            language,
            "Recours: callback asked for by {gp} ({specialty}), code {code}, before {deadline}. "
            "Hidden number: R {code} to hear their message, OK {code} to take it on.",
            gp=gp,
            specialty=specialty,
            code=code,
            deadline=deadline,
        )
    return _sms(
        language,
        "Recours: callback asked for by {gp} ({specialty}), code {code}, before {deadline}. "
        "R {code} to be put through, OK {code} to take it on.",
        gp=gp,
        specialty=specialty,
        code=code,
        deadline=deadline,
    )


def promise_to_senior(code: str, gp: str, specialty: str, deadline: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(
        language,
        "Recours: you promised to call back {gp} ({specialty}) before {deadline}, code {code}. R {code} to be put through.",
        gp=gp,
        specialty=specialty,
        code=code,
        deadline=deadline,
    )


def promise_to_gp(senior: str, specialty: str, deadline: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(
        language,
        "Recours: {senior} ({specialty}) will call you back before {deadline}.",
        senior=senior,
        specialty=specialty,
        deadline=deadline,
    )


def escalation(
    code: str, gp: str, specialty: str, requested: str, deadline: str, acknowledged_by: str | None, language: str = DEFAULT_LANGUAGE
) -> str:
    values = {"code": code, "gp": gp, "specialty": specialty, "deadline": deadline}
    if acknowledged_by:
        return _sms(
            language,
            "Recours: callback {code} ({specialty}, {gp}), taken on by {name}, is not done; deadline {deadline}. "
            "R {code} to call back yourself.",
            name=acknowledged_by,
            **values,
        )
    return _sms(
        language,
        "Recours: callback {code} ({specialty}, {gp}), asked for at {requested}, is taken on by nobody; deadline {deadline}. "
        "R {code} to call back yourself.",
        requested=requested,
        **values,
    )


def unrouted(code: str, gp: str, deadline: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(
        language,
        "Recours: callback asked for by {gp} without a specialty, code {code}, before {deadline}. To assign: flask callbacks list.",
        gp=gp,
        code=code,
        deadline=deadline,
    )


def shift_reminder(specialty: str, layer: str, starts: str, language: str = DEFAULT_LANGUAGE) -> str:
    if layer == "backup":
        return _sms(language, "Recours: you are backup in {specialty} from {starts}.", specialty=specialty, starts=starts)
    return _sms(language, "Recours: you are on duty in {specialty} from {starts}.", specialty=specialty, starts=starts)


def missed_call(specialty: str, at: str, outcome: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(
        language, "Recours: missed call from the GP hotline ({specialty}) at {at}. {outcome}", specialty=specialty, at=at, outcome=outcome
    )


def missed_call_outcome(connected: bool, callback_code: str | None, requested_callback: bool, language: str = DEFAULT_LANGUAGE) -> str:
    """What became of the call the senior missed."""
    if connected:
        return _sms(language, "A colleague answered.")
    if requested_callback and callback_code:
        return _sms(language, "The GP asked for a callback, code {code}.", code=callback_code)
    if requested_callback:
        return _sms(language, "The GP asked for a callback.")
    return _sms(language, "The GP reached nobody.")


def coverage_gaps(count: int, days: int, first: str, language: str = DEFAULT_LANGUAGE) -> str:
    words = in_language(language)
    return words.ngettext(
        "Recours: {count} period without a senior on duty in the next {days} days. First: {first}. Details: flask rota gaps.",
        "Recours: {count} periods without a senior on duty in the next {days} days. First: {first}. Details: flask rota gaps.",
        count,
        days=days,
        first=first,
    ).translate(_GSM)


# -- replies to a senior's SMS ----------------------------------------------------------------------


def help_text(language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Recours: OK <code> to take on a callback, R <code> to be put through to the GP, LIST for your open callbacks.")


def acknowledged(code: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Callback {code} taken on. R {code} to be put through to the GP.", code=code)


def acknowledged_by_other(code: str, name: str, at: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(
        language, "Callback {code} already taken on by {name} at {at}. R {code} to call back all the same.", code=code, name=name, at=at
    )


def already_done(code: str, name: str, at: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Callback {code} already made by {name} at {at}.", code=code, name=name, at=at)


def unknown_code(code: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "No open callback has the code {code}.", code=code)


def not_yours(code: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Callback {code} was not sent to you.", code=code)


def which_one(codes: list[str], language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Several open callbacks: {codes}. Reply OK <code> or R <code>.", codes=", ".join(codes))


def none_open(language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "No open callback for you.")


def listing_line(code: str, specialty: str, deadline: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "{code} {specialty} before {deadline}", code=code, specialty=specialty, deadline=deadline)


def listing(lines: list[str], language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Open callbacks: {callbacks}.", callbacks="; ".join(lines))


def calling_you(code: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Recours is calling you for callback {code}: pick up, then press 1 to reach the GP.", code=code)


def call_will_retry(code: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Recours could not call you at once for callback {code}; trying again within a minute.", code=code)


def call_failed(code: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Recours could not call you for callback {code}. Try again: R {code}.", code=code)


# -- what came of a conversation (calllog/conversation.py) ------------------------------------------


def conversation_question(gp: str, specialty: str, at: str, link: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(
        language,
        "Recours: what came of the call from {gp} ({specialty}) at {at}? Reply 1 advice only, 2 consultation booked, "
        "3 urgent slot booked, 4 direct admission, 5 emergency department, 6 other. Or tap: {link}",
        gp=gp,
        specialty=specialty,
        at=at,
        link=link,
    )


def conversation_recorded(label: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Recours: noted, {outcome}. Thank you.", outcome=in_language(language)._(label))


def conversation_help(language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(
        language,
        "Recours: reply with one digit, 1 advice only, 2 consultation booked, 3 urgent slot booked, 4 direct admission, "
        "5 emergency department, 6 other.",
    )


def no_conversation_pending(language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Recours: no call of yours awaits an answer. For callbacks: OK <code>, R <code>, LIST.")
