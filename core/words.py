"""The one catalogue of words: every sentence a person reads or hears, in any language Recours speaks.

Messages are English sentences in the code, marked for extraction (``_``, ``ngettext``, ``N_``,
``lazy``), with ``str.format`` names for the values: ``_("{name} saved.", name=...)``. Their French
(and English) live in gettext catalogues, ``translations/<lang>/LC_MESSAGES/messages.po``, kept up to
date with ``make translations`` (README, "Words"). This module reads them without Flask, so the web
pages (``web.i18n``), the hotline's prompts, SMS, e-mails, CSV and the CLI share one catalogue, and
Babel's numbers and dates (``33,3 %``, ``18,0 s``, ``mardi 1 décembre``) come from the same place.

    words = in_language("fr")
    words._("Shift saved.")                                   # "Garde enregistrée."
    words.ngettext("{count} gap", "{count} gaps", 3)          # "3 trous"
    words.percent(1 / 3)                                      # "33,3 %"
"""

from __future__ import annotations

import functools
import gettext as _gettext
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
DOMAIN = "messages"
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
# The catalogue is per language; numbers and dates follow a country's habits ("Tuesday 1 December").
LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def N_(text: str) -> str:
    """Marks a message for the catalogue where it is translated later (tables of labels)."""
    return text


def supported(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@functools.cache
def catalogue(language: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``language`` (``make install`` compiles it). Straight after a ``.po``
    was edited, or where nobody ran ``make``, the ``.po`` itself is read: slower, the same words."""
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as compiled:
            return Translations(compiled, domain=DOMAIN)
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as source:
        messages = read_po(source, locale=LOCALES.get(language, language))
    compiled = BytesIO()
    write_mo(compiled, messages, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def _fill(text: str, values: Mapping[str, object]) -> str:
    return text.format(**values) if values else text


class Words:
    """The catalogue, numbers and dates in one language."""

    def __init__(self, language: str) -> None:
        self.language = supported(language)
        self.locale = Locale.parse(LOCALES[self.language])

    def _(self, text: str, /, **values: object) -> str:
        """``text`` translated, then filled with ``values`` (``str.format`` names)."""
        if not text:  # gettext("") is the catalogue's header
            return text
        return _fill(catalogue(self.language).gettext(text), values)

    def ngettext(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        """The form for ``count`` ("1 trou", "0 trou", "3 trous"); ``{count}`` is the number, written
        as the language writes it (``1 234``)."""
        values.setdefault("count", self.number(count))
        return _fill(catalogue(self.language).ngettext(singular, plural, count), values)

    # -- numbers ------------------------------------------------------------------------------------

    def number(self, value: int | float) -> str:
        return babel_numbers.format_decimal(value, locale=self.locale)

    def decimal(self, value: float, digits: int = 1, *, grouping: bool = True) -> str:
        """``18,0`` / ``18.0``: always ``digits`` after the separator (``1 234,5``; ``1234,5`` without
        grouping, for a spreadsheet to read as a number)."""
        pattern = ("#,##0" if grouping else "0") + ("." + "0" * digits if digits else "")
        return babel_numbers.format_decimal(value, format=pattern, locale=self.locale)

    @property
    def decimal_separator(self) -> str:
        return babel_numbers.get_decimal_symbol(self.locale)

    def percent(self, fraction: float, digits: int = 1) -> str:
        """``33,3 %`` / ``33.3%``: the language's own percent pattern, ``digits`` after the separator."""
        pattern = babel_numbers.parse_pattern(self.locale.percent_formats[None])
        pattern.frac_prec = (digits, digits)
        return pattern.apply(fraction, self.locale)

    def seconds(self, value: float, digits: int = 1) -> str:
        """``18,0 s``: a duration in seconds as the figures show it."""
        return self._("{value} s", value=self.decimal(value, digits))

    # -- dates --------------------------------------------------------------------------------------

    def weekday_names(self, width: str = "wide") -> list[str]:
        """Monday first: ``lundi`` … ``dimanche`` (``wide``), ``lun.`` … (``abbreviated``)."""
        names = babel_dates.get_day_names(width, context="format", locale=self.locale)
        return [names[d] for d in range(7)]

    def weekday(self, day: date, width: str = "wide") -> str:
        return self.weekday_names(width)[day.weekday()]

    def month(self, month: int, width: str = "wide") -> str:
        return babel_dates.get_month_names(width, context="format", locale=self.locale)[month]

    def day(self, day: date, pattern: str = "EEEE d MMMM y") -> str:
        """``mardi 1 décembre 2026`` / ``Tuesday 1 December 2026`` (CLDR pattern)."""
        return babel_dates.format_date(day, pattern, locale=self.locale)

    def instant(self, at: datetime, zone: tzinfo, pattern: str = "EEEE d MMMM y, HH:mm") -> str:
        """An instant as a local time in ``zone`` (the department's), never UTC ISO."""
        return babel_dates.format_datetime(at, pattern, tzinfo=zone, locale=self.locale)


@functools.cache
def in_language(language: str | None) -> Words:
    """The words of ``language`` (``fr`` or ``en``; anything else is the default, French)."""
    return Words(supported(language))
