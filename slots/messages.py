"""What urgent slots make Recours write: the GP's SMS with the code, the secretariat's e-mail, and the
answers to SMS commands. Catalogue messages; SMS kept to the GSM alphabet like every SMS Recours sends
(:mod:`callbacks.messages`). Nothing about the patient, ever: a code, a GP, a place and a time."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from callbacks.messages import _GSM
from core.words import DEFAULT_LANGUAGE, in_language

# The GSM 03.38 basic alphabet: one SMS segment holds 160 of these. A character outside it (â, ê, ç, œ
# in a place a head typed) would make the whole SMS UCS-2 (70 a segment): it is folded to its letter.
GSM_ALPHABET = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def gsm(text: str) -> str:
    """``text`` within the GSM alphabet: French typography's spaces and quotes plain, accents dropped
    where the alphabet lacks them ("Bâtiment" → "Batiment"; é, è, à stay)."""
    folded = []
    for char in text.translate(_GSM):
        if char not in GSM_ALPHABET:
            char = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)) or "?"
            char = char if all(c in GSM_ALPHABET for c in char) else "?"
        folded.append(char)
    return "".join(folded)


def _sms(language: str, message: str, **values: object) -> str:
    return gsm(in_language(language)._(message, **values))


def day_text(at: datetime, zone: ZoneInfo, language: str = DEFAULT_LANGUAGE) -> str:
    """``mardi 10/03``: the weekday in the reader's language, then the date as a GP writes it."""
    local = at.astimezone(zone)
    return f"{in_language(language).weekday(local.date())} {local:%d/%m}"


def time_text(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%H:%M")


def gp_booked(specialty: str, day: str, time: str, place: str, code: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(
        language,
        "Recours: urgent {specialty} slot for your patient on {day} at {time}, {place}. Code to give the patient: {code} "
        "(they call the secretariat with it). To cancel, reply CANCEL {code}.",
        specialty=specialty,
        day=day,
        time=time,
        place=place,
        code=code,
    )


def gp_cancelled(code: str, day: str, time: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Recours: urgent slot {code} of {day} at {time} cancelled; it is free again.", code=code, day=day, time=time)


def gp_help(language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Recours: to cancel an urgent slot, reply CANCEL followed by its code (for example CANCEL K7MP4).")


def gp_unknown_code(code: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Recours: no urgent slot booked for you has the code {code}.", code=code)


def gp_already_cancelled(code: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Recours: urgent slot {code} was already cancelled.", code=code)


def gp_too_late(code: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Recours: urgent slot {code} has started or is over; it can no longer be cancelled.", code=code)


def senior_booked(code: str, gp: str, day: str, time: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(
        language,
        "Recours: urgent slot booked for {gp}'s patient on {day} at {time}, code {code}. The GP has it by SMS.",
        code=code,
        gp=gp,
        day=day,
        time=time,
    )


def senior_refused(reason: str, language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Recours: no urgent slot booked. {reason}", reason=reason)


def secretariat_subject(specialty: str, day: str, time: str, language: str = DEFAULT_LANGUAGE) -> str:
    return in_language(language)._("Urgent slot booked: {specialty}, {day} at {time}", specialty=specialty, day=day, time=time)


def secretariat_body(
    specialty: str, day: str, time: str, place: str, code: str, gp: str, senior: str, language: str = DEFAULT_LANGUAGE
) -> str:
    return in_language(language)._(
        "An urgent {specialty} slot has been booked by {senior} for a patient of {gp}.\n\n"
        "When: {day} at {time}\nWhere: {place}\nCode: {code}\n\n"
        "The patient will call you with this code: confirm it on the urgent slots page of Recours. "
        "If nobody calls, the slot stays booked until the GP or you cancel it.",
        specialty=specialty,
        day=day,
        time=time,
        place=place,
        code=code,
        gp=gp,
        senior=senior,
    )


def secretariat_cancelled_subject(specialty: str, day: str, time: str, language: str = DEFAULT_LANGUAGE) -> str:
    return in_language(language)._("Urgent slot cancelled by the GP: {specialty}, {day} at {time}", specialty=specialty, day=day, time=time)


def secretariat_cancelled_body(specialty: str, day: str, time: str, code: str, gp: str, language: str = DEFAULT_LANGUAGE) -> str:
    return in_language(language)._(
        "{gp} cancelled the urgent {specialty} slot of {day} at {time} (code {code}). "
        "It is free again for the seniors until its booking cut-off, then yours to give.",
        specialty=specialty,
        day=day,
        time=time,
        code=code,
        gp=gp,
    )


def senior_no_call(language: str = DEFAULT_LANGUAGE) -> str:
    return _sms(language, "Recours: no call taken by you in the last 12 hours; an urgent slot is booked for the GP of a call you took.")
