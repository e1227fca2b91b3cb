"""French by default, English on request: a plain message catalogue, no compilation step.

Messages are written in English in the code and templates (``_("Who is on duty")``) and translated
through :data:`web.catalogue.FRENCH`; a message missing from it shows in English (a test lists any).
Values are filled in after translation with ``str.format`` names: ``_("{count} gaps", count=3)``.
"""

from __future__ import annotations

from datetime import date

from flask import current_app, g, has_request_context, request
from markupsafe import escape
from wtforms.i18n import get_translations

from web.catalogue import FRENCH

LANGUAGES = ("fr", "en")
LANGUAGE_COOKIE = "recours_lang"

WEEKDAYS = {
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
MONTHS = {
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
}


def default_language() -> str:
    return current_app.config["SETTINGS"].web.default_language


def choose_language(user_language: str | None) -> str:
    """The signed-in user's choice, else the browser's cookie, else the hospital's default."""
    for candidate in (user_language, request.cookies.get(LANGUAGE_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return default_language()


def language() -> str:
    if has_request_context() and "language" in g:
        return g.language
    return default_language() if has_request_context() else "fr"


def translate(text: str, lang: str | None = None) -> str:
    lang = lang or language()
    return FRENCH.get(text, text) if lang == "fr" else text


def _(text: str, **values: object) -> str:
    translated = translate(text)
    return translated.format(**values) if values else translated


class LazyText:
    """A message translated when it is shown (form labels are built once, at import)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return translate(self.text)

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.text)

    def __len__(self) -> int:
        return len(str(self))

    def __mod__(self, values: object) -> str:  # WTForms fills its messages with %
        return str(self) % values


def lazy(text: str) -> LazyText:
    return LazyText(text)


def wtforms_translations():
    """WTForms ships its own French messages ("Ce champ est requis.")."""
    return get_translations(["fr"]) if language() == "fr" else None


def weekday_name(day: date) -> str:
    return WEEKDAYS[language()][day.weekday()]


def month_name(month: int) -> str:
    return MONTHS[language()][month - 1]


def N_(text: str) -> str:
    """Marks a message for the catalogue where it is translated later (tables of labels)."""
    return text
