"""The web app's words, in the language of whoever reads the page (French by default, English on request).

Messages are written in English in the code and templates (``_("Who is on duty")``) and translated
through the gettext catalogue (:mod:`core.words`, ``translations/``); ``tests/test_translations.py``
fails when one is missing or the catalogue is behind the code. Values are filled in after translation
with ``str.format`` names: ``_("Rotation “{name}” saved.", name=...)``,
``ngettext("{count} gap", "{count} gaps", n)``. Flask-Babel is wired to the same choice of language
(``flask_babel.get_locale()``), for anything that asks it.
"""

from __future__ import annotations

from datetime import date

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel
from markupsafe import escape
from wtforms.i18n import get_translations

from core import words
from core.words import LANGUAGES, LOCALES, N_, Words

__all__ = ["LANGUAGES", "N_", "_", "choose_language", "current_words", "language", "lazy", "ngettext", "translate"]

LANGUAGE_COOKIE = "recours_lang"


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
    return default_language() if has_request_context() else words.DEFAULT_LANGUAGE


def current_words() -> Words:
    """The catalogue, numbers and dates of the page being made."""
    return words.in_language(language())


def translate(text: str, lang: str | None = None) -> str:
    return words.in_language(lang or language())._(text)


def _(text: str, **values: object) -> str:
    return current_words()._(text, **values)


def ngettext(singular: str, plural: str, count: int, **values: object) -> str:
    return current_words().ngettext(singular, plural, count, **values)


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


class LazyWeekday(LazyText):
    """A day's name in the reader's language, from Babel (``Lundi`` / ``Monday``); ISO number 1 = Monday."""

    def __init__(self, iso_weekday: int) -> None:
        super().__init__(str(iso_weekday))
        self.iso_weekday = iso_weekday

    def __str__(self) -> str:
        return current_words().weekday_names()[self.iso_weekday - 1].capitalize()


def wtforms_translations():
    """WTForms ships its own French messages ("Ce champ est requis.")."""
    return get_translations(["fr"]) if language() == "fr" else None


def weekday_name(day: date) -> str:
    return current_words().weekday(day)


def month_name(month: int) -> str:
    return current_words().month(month)


def init_app(app: Flask) -> None:
    """Flask-Babel on the same catalogue and the same choice of language; the templates' ``_`` and
    ``ngettext`` are this module's (``str.format`` names, like the code's)."""
    Babel(app, locale_selector=lambda: LOCALES[language()], default_translation_directories=str(words.TRANSLATIONS))
    app.jinja_env.globals.update(_=_, gettext=_, ngettext=ngettext)
