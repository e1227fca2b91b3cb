"""No personal data in the logs: phone numbers masked wherever a log line comes from.

A log file is copied, shipped to a central server and read by people who have no business knowing who
called whom. Every record is masked when it is made (:func:`install` sets the logging module's record
factory, so Recours's own loggers, the libraries', the simulator's and the test suite's capture all see the
same masked text): a phone number in the message, its arguments or a traceback reads ``+33 6 •• •• •• 78``
— the country, the first digit and the last two, enough to tell two numbers apart in an incident, not to
dial. Each record also carries ``remote_addr``, the client of the request it was made in (:data:`FORMAT`).
Names of GPs and the text of SMS are never passed to a logger in the first place (see
:mod:`notify.providers`); this module cannot recognise a name, so the rule is kept at the source.
"""

from __future__ import annotations

import logging
import re

import phonenumbers
from flask import has_request_context, request

# E.164 (+33698765432), French national numbers written with or without separators (06 98 76 54 32,
# 0698765432) and the same with +33 and spaces (+33 6 98 76 54 32).
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?\d(?:[ .-]?\d){6,13}|0[1-9](?:[ .-]?\d{2}){4})(?![\w])")
BULLETS = "••"


def mask_phone(text: str) -> str:
    """``+33698765432`` → ``+33 6 •• •• •• 32``; anything unparsable keeps only its last two digits."""
    digits = re.sub(r"[^\d+]", "", text)
    try:
        number = phonenumbers.parse(digits, "FR")
        national = str(number.national_number)
        country = f"+{number.country_code}"
    except phonenumbers.NumberParseException:
        return BULLETS + digits[-2:]
    if len(national) < 5:
        return f"{country} {BULLETS}"
    middle = " ".join([BULLETS] * max(1, (len(national) - 3) // 2))
    return f"{country} {national[0]} {middle} {national[-2:]}"


def mask(text: str) -> str:
    """Every phone number of ``text`` masked."""
    return _PHONE.sub(lambda found: mask_phone(found.group(0)), text)


_exception_formatter = logging.Formatter()
_installed = False


FORMAT = "%(asctime)s %(levelname)s %(name)s [%(remote_addr)s]: %(message)s"


def install() -> None:
    """Mask every log record of this process from now on, and give each the client's address
    (idempotent; the application factory calls it)."""
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def masked_record(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        # The client of the request being served (right behind proxies: web.security's ProxyFix), "-" outside one.
        record.remote_addr = (request.remote_addr or "-") if has_request_context() else "-"
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed log call must not break the caller
            return record
        record.msg, record.args = mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask(_exception_formatter.formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(masked_record)
