"""The catalogue of words (translations/): complete in French and English, up to date with the code, and
written as a French reader expects. When one of these fails, run ``make translations`` and write the
French of what it left empty or fuzzy (README, "Words")."""

from __future__ import annotations

import re
import string

import pytest

from core import words
from scripts.translations import LANGUAGES, extracted, read

NBSP, NARROW_NBSP = "\u00a0", "\u202f"


def _key(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _forms(message) -> list[str]:
    return list(message.string) if message.pluralizable else [message.string]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.fixture(scope="module")
def code_messages():
    return {_key(m): m for m in extracted() if m.id}


@pytest.fixture(scope="module", params=LANGUAGES)
def catalogue(request):
    return request.param, {_key(m): m for m in read(request.param) if m.id}


def test_the_catalogues_hold_exactly_the_messages_of_the_code(code_messages, catalogue):
    language, messages = catalogue
    missing, stale = sorted(code_messages.keys() - messages.keys()), sorted(messages.keys() - code_messages.keys())
    assert (missing, stale) == ([], []), f"translations/{language} is behind the code: run make translations"
    changed_plural = sorted(k for k, m in code_messages.items() if m.id != messages[k].id)
    assert changed_plural == [], "plural forms changed in the code: run make translations"


def test_every_message_is_translated_and_none_is_fuzzy(catalogue):
    language, messages = catalogue
    untranslated = sorted(k for k, m in messages.items() if m.fuzzy or not all(_forms(m)))
    assert untranslated == [], f"write these in translations/{language}/LC_MESSAGES/messages.po"


def test_translations_fill_the_same_values_as_the_message(catalogue):
    """A translation that drops or misspells ``{name}`` would show a raw brace or raise at run time."""
    _language, messages = catalogue
    wrong = []
    for key, m in messages.items():
        wanted = _fields(key) | (_fields(m.id[1]) if m.pluralizable else set())
        for form in _forms(m):
            got = _fields(form)
            # A singular may say "un trou" rather than "{count} trou"; nothing else may go missing.
            if got - wanted or (wanted - got - ({"count"} if m.pluralizable else set())):
                wrong.append((key, form))
    assert wrong == []


# French typography: a non-breaking space (narrow before ; ? !) before the high signs and the percent
# sign, inside « guillemets », never "English quotes".
_BEFORE_HIGH_SIGN = re.compile(r"(?<=[\w)»}\]])[:;?!%](?![\d/])|(?<= )[:;?!%]")
_OPEN_QUOTE, _CLOSE_QUOTE = re.compile(r"«(?!\u00a0)"), re.compile(r"(?<!\u00a0)»")


def test_french_reads_as_french_typography():
    badly_set = []
    for m in read("fr"):
        if not m.id:
            continue
        for form in _forms(m):
            plain = re.sub(r"\{[^}]*\}", "x", form)  # "{p90}" is a value, not words
            if _BEFORE_HIGH_SIGN.search(plain) or _OPEN_QUOTE.search(plain) or _CLOSE_QUOTE.search(plain) or re.search('[“”"]', plain):
                badly_set.append(form)
    assert badly_set == []


def test_found_nobody_on_duty_reads_as_nobody_found():
    """The figure counts calls that found no senior on duty: « personne de garde trouvé » said the reverse."""
    french = words.in_language("fr")
    for label in ("found nobody on duty", "found nobody on duty (any outcome)", "nobody on duty"):
        assert french._(label).startswith("aucun senior de garde")


def test_numbers_and_dates_are_written_the_french_way():
    import datetime

    french, english = words.in_language("fr"), words.in_language("en")
    assert french.percent(1 / 3) == f"33,3{NBSP}%" and english.percent(1 / 3) == "33.3%"
    assert french.seconds(18) == f"18,0{NBSP}s" and english.seconds(18) == "18.0 s"
    assert french.day(datetime.date(2026, 12, 1), "EEEE d MMMM") == "mardi 1 décembre"
    assert english.day(datetime.date(2026, 12, 1), "EEEE d MMMM") == "Tuesday 1 December"
    assert french.number(12345) == f"12{NARROW_NBSP}345"
