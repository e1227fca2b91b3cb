"""Phone numbers: parsed once at the edge with ``phonenumbers``, stored as E.164, formatted in one place.

French national format ("06 12 34 56 78") is accepted everywhere a person types a number; the region
used for numbers without a country code is France unless told otherwise.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import phonenumbers

DEFAULT_REGION = "FR"


class InvalidPhoneNumber(ValueError):
    """A value that is not a valid phone number; the message says why, in plain words; ``text`` is the value."""

    def __init__(self, message: str, text: str = "") -> None:
        super().__init__(message)
        self.text = text


def to_e164(raw: str, region: str = DEFAULT_REGION) -> str:
    """Parse ``raw`` and return it in E.164 (``+33612345678``), or raise :class:`InvalidPhoneNumber`."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("empty phone number", text)
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"{text!r} is not a phone number ({exc})", text) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(f"{text!r} is not a valid phone number", text)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def e164_list(raws: Sequence[str], region: str = DEFAULT_REGION) -> list[str]:
    """Each number in E.164, in the order given, once; :class:`InvalidPhoneNumber` for the first that is not one."""
    numbers: list[str] = []
    for raw in raws:
        number = to_e164(raw, region)
        if number not in numbers:
            numbers.append(number)
    return numbers


def try_e164(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """E.164 for a value we do not control (Twilio's ``From`` may be "anonymous"), else ``None``."""
    if not raw:
        return None
    return _try_e164(raw, region)


# A webhook parses the same From and To several times (caller lookup, the log row, the direct number),
# and the same few hundred GPs call again and again: parsing costs ~0.1 ms each time.
@functools.lru_cache(maxsize=2048)
def _try_e164(raw: str, region: str) -> str | None:
    try:
        return to_e164(raw, region)
    except InvalidPhoneNumber:
        return None


def national(e164: str) -> str:
    """The number as a person in its country writes it ("06 12 34 56 78")."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def spoken_digits(e164: str) -> str:
    """The national number as separate digits, for a voice prompt to read one by one."""
    return " ".join(ch for ch in national(e164) if ch.isdigit())


def spoken_last_digits(e164: str, count: int = 4) -> str:
    """The last ``count`` digits of the national number, separated: enough for a senior to recognise a
    number, far shorter to hear than all ten (issue 14)."""
    digits = [ch for ch in national(e164) if ch.isdigit()]
    return " ".join(digits[-count:])


def is_mobile(e164: str | None) -> bool:
    """Whether the number can receive an SMS: a mobile (or a number its plan does not tell apart)."""
    if not e164:
        return False
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    kind = phonenumbers.number_type(parsed)
    return kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
