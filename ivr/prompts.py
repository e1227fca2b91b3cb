"""Everything the hotline says, in French and English. Short sentences: a GP is on the clock.

The sentences are messages of the catalogue (``translations/``, README "Words"), named here by a key so
the call path says what it means: ``text(language, "nobody_on_duty", specialty=...)``. The voice and
the ``<Say language>`` of a language are chosen in one place, :func:`voice`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from core.config import Settings
from core.words import N_, in_language, supported
from rota.queries import MenuEntry

LANGUAGES = {"fr": "fr-FR", "en": "en-GB"}
# The seniors' working language: the announcement before a call is bridged, the callback call.
STAFF_LANGUAGE = "fr"

_TEXTS: dict[str, str] = {
    "greeting": N_("Recours, specialist advice for general practitioners."),
    "choose": N_("{name}, press {digit}."),
    "say_it": N_("Or say the specialty."),
    "switchboard_key": N_("Switchboard, press 0."),
    "not_understood": N_("Sorry, I did not understand."),
    "no_menu": N_("No specialty is open on this line."),
    "searching": N_("{Specialty}, putting you through."),
    "next_senior": N_("No answer, calling another senior."),
    "nobody_on_duty": N_("Nobody is on duty in {specialty} right now."),
    "nobody_answered": N_("No senior could answer."),
    "callback_offer": N_("To be called back, press 1 or stay on the line. For the switchboard, press 0."),
    "recording_notice": N_(
        "Your message will be recorded so that a senior can call you back, and deleted within six months. "
        "After the beep, give your name and question, without naming the patient, then press hash."
    ),
    "callback_saved": N_("Your callback request is saved. A senior will call you back. Goodbye."),
    "to_switchboard": N_("Transferring you to the switchboard."),
    "switchboard_missed": N_("The switchboard is not answering."),
    "incident": N_("A technical problem means we are transferring you to the switchboard."),
    "goodbye": N_("Goodbye."),
    # A senior deferred the call (ivr/defer.py): the promise, said at once.
    "promise": N_("{senior}, {specialty}, will call you back within {minutes} minutes."),
    "promise_by_sms": N_("You will receive this promise by text message."),
}
# The offer of the other language is said in that language: a GP who does not understand this one
# must understand the offer.
_OTHER_LANGUAGE = {"fr": ("en", N_("For English, press star.")), "en": ("fr", N_("For French, press star."))}

# The announcement a senior hears before a call is bridged (the whisper).
_WHISPER: dict[str, str] = {
    # {gp} carries its title (directory.queries.titled): "Dr Alice Renaud".
    "known_gp": N_("Call from the GP hotline, {gp}, for {specialty}."),
    "unknown_gp": N_("Call from the GP hotline, a doctor whose number ends in "),
    "unknown_gp_tail": N_("for {specialty}."),
    "hidden_gp": N_("Call from the GP hotline, a doctor with a hidden number, for {specialty}."),
    "press_one": N_("Press 1 to accept, 2 to decline, 3 to call back within {minutes} minutes."),
    "deferred": N_("Noted: you will call this doctor back within {minutes} minutes. The code comes by text message. Goodbye."),
    "not_accepted": N_("Call not accepted. Goodbye."),
    "declined": N_("Call declined. Goodbye."),
    "taken": N_("A colleague has already taken this call. Goodbye."),
}


class PromptText(str):
    """A sentence of the hotline that knows which prompt it is: where the hospital uploaded its own
    recording of that prompt (:mod:`voice`), the call path plays it instead of saying the text."""

    key: str | None = None

    @classmethod
    def of(cls, key: str, words: str) -> PromptText:
        made = cls(words)
        made.key = key
        return made


class Spoken(str):
    """Several prompts said one after the other (the menu): the text, and its parts in order."""

    parts: tuple[str, ...] = ()

    @classmethod
    def of(cls, parts: Sequence[str]) -> Spoken:
        made = cls(" ".join(parts))
        made.parts = tuple(parts)
        return made


# The prompts a recording may replace: those without values in them (a recording cannot say a
# specialty's name), plus the offer of the other language.
RECORDABLE: tuple[str, ...] = (*(key for key, message in _TEXTS.items() if "{" not in message), "english")


def text(language: str, key: str, **values: str) -> str:
    if key == "english":
        other, message = _OTHER_LANGUAGE[supported(language)]
        return PromptText.of(key, in_language(other)._(message))
    return PromptText.of(key, in_language(language)._(_TEXTS[key], **values))


def description(key: str, language: str) -> str:
    """What prompt ``key`` says in ``language`` (values shown as their names), for the upload page."""
    if key == "english":
        return text(language, key)
    return in_language(language)._(_TEXTS[key])


def whisper(key: str, language: str = STAFF_LANGUAGE, **values: str) -> str:
    return in_language(language)._(_WHISPER[key], **values)


class _Whisper(Mapping[str, str]):
    """``WHISPER[key]``: the announcement's sentences in the staff's language, to ``.format`` later."""

    def __getitem__(self, key: str) -> str:
        return whisper(key)

    def __iter__(self) -> Iterator[str]:
        return iter(_WHISPER)

    def __len__(self) -> int:
        return len(_WHISPER)


WHISPER: Mapping[str, str] = _Whisper()


def voice(settings: Settings, language: str) -> dict[str, str]:
    """The ``<Say>`` attributes of a language: its Twilio voice and its ``language``."""
    language = supported(language)
    return {"language": LANGUAGES[language], "voice": settings.tts_voice_en if language == "en" else settings.tts_voice_fr}


def menu_text(language: str, entries: Sequence[MenuEntry], *, greeting: bool) -> str:
    parts = [text(language, "greeting")] if greeting else []
    keyed = [e for e in entries if e.digit]
    parts += [text(language, "choose", name=e.name(language), digit=e.digit) for e in keyed]
    parts += [text(language, "say_it"), text(language, "switchboard_key"), text(language, "english")]
    return Spoken.of(parts)
