"""The outbound callback call, as plain functions returning TwiML.

Twilio calls the senior who asked for it (REST ``calls.create`` with :meth:`CallbackCallLinks.senior_answered`
as ``url``); once the senior answers:

1. the senior hears which request this is and presses 1 to ring the GP (2 plays the GP's message first);
   a voicemail that picks up presses nothing, so no GP is ever bridged to a senior's voicemail;
2. the GP is dialled with the hotline as caller ID; on the GP's leg an announcement asks for 1, so only
   a person — not the GP's voicemail — counts as "called back";
3. the Dial action tells the senior whether it worked.

The webhooks (``webhooks/callback_calls.py``) do the HTTP and the recording of facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from twilio.twiml.voice_response import VoiceResponse

from core.config import Settings
from core.words import in_language
from ivr.prompts import STAFF_LANGUAGE, voice

CALLBACK_CALL = "/twilio/callback-call"
CALLBACK_CALL_CHOICE = "/twilio/callback-call/choice"
CALLBACK_CALL_DIAL_RESULT = "/twilio/callback-call/dial-result"
CALLBACK_CALL_SCREEN = "/twilio/callback-call/screen"
CALLBACK_CALL_SCREEN_ANSWER = "/twilio/callback-call/screen-answer"
CALLBACK_CALL_STATUS = "/twilio/callback-call/status"

DIAL_KEY = "1"
LISTEN_KEY = "2"
ACCEPT_KEY = "1"
# The senior chose to be called, so they get a little longer to react than a cold screening call.
SENIOR_CHOICE_TIMEOUT = 8
GP_RING_TIMEOUT = 30


class CallbackCallLinks:
    def __init__(self, public_base_url: str) -> None:
        self.base = public_base_url.rstrip("/")

    def _url(self, path: str, call_id: int, **extra: str) -> str:
        return f"{self.base}{path}?{urlencode({'cc': call_id, **extra})}"

    def senior_answered(self, call_id: int) -> str:
        return self._url(CALLBACK_CALL, call_id)

    def choice(self, call_id: int) -> str:
        return self._url(CALLBACK_CALL_CHOICE, call_id)

    def dial_result(self, call_id: int) -> str:
        return self._url(CALLBACK_CALL_DIAL_RESULT, call_id)

    def screen(self, call_id: int) -> str:
        return self._url(CALLBACK_CALL_SCREEN, call_id)

    def screen_answer(self, call_id: int) -> str:
        return self._url(CALLBACK_CALL_SCREEN_ANSWER, call_id)

    def status(self, call_id: int, leg: str) -> str:
        return self._url(CALLBACK_CALL_STATUS, call_id, leg=leg)


@dataclass(frozen=True)
class Briefing:
    """What the senior is told about the request, and where the GP is."""

    call_id: int
    code: str
    gp: str  # "Dr Alice Renaud", "un médecin non identifié (…)", in the staff's language
    specialty_fr: str
    specialty_gp_language: str
    gp_language: str  # the language the GP chose on the hotline
    gp_number: str | None  # None: the GP called from a hidden number
    recording_url: str | None
    done_by: str | None  # set when the request was already called back


def _say_to_senior(settings: Settings, node, words: str) -> None:
    node.say(words, **voice(settings, STAFF_LANGUAGE))


def _senior(message: str, **values: object) -> str:
    """A sentence for the senior, in the staff's language."""
    return in_language(STAFF_LANGUAGE)._(message, **values)


def _spelled(code: str) -> str:
    return " ".join(code)


def wants_gp(briefing: Briefing, digits: str) -> bool:
    """The one rule for ringing the GP: the senior pressed 1, the GP has a number, nobody called yet."""
    return (digits or "").strip() == DIAL_KEY and briefing.gp_number is not None and briefing.done_by is None


def senior_answered(settings: Settings, links: CallbackCallLinks, briefing: Briefing) -> VoiceResponse:
    """First words on the senior's phone: which request, then 1 to ring the GP (2 for the message)."""
    response = VoiceResponse()
    intro = _senior(
        "Recours. Callback {code}, asked for by {gp}, for {specialty}.",
        code=_spelled(briefing.code),
        gp=briefing.gp,
        specialty=briefing.specialty_fr,
    )
    if briefing.done_by is not None:
        _say_to_senior(settings, response, f"{intro} {_already_done(briefing.done_by)}")
        response.hangup()
        return response
    return _choices(settings, links, briefing, intro)


def _choices(settings: Settings, links: CallbackCallLinks, briefing: Briefing, before: str) -> VoiceResponse:
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf", num_digits=1, timeout=SENIOR_CHOICE_TIMEOUT, action=links.choice(briefing.call_id), method="POST"
    )
    options = []
    if briefing.gp_number is None:
        options.append(_senior("The GP's number is hidden: Recours cannot call them back."))
    else:
        options.append(_senior("To call the GP now, press 1."))
    if briefing.recording_url:
        options.append(_senior("To hear their message, press 2."))
    _say_to_senior(settings, gather, " ".join([before, *options]))
    _say_to_senior(settings, response, _senior("No key pressed. The callback is still to be made. Goodbye."))
    response.hangup()
    return response


def senior_choice(settings: Settings, links: CallbackCallLinks, briefing: Briefing, digits: str) -> VoiceResponse:
    """1 rings the GP with the hotline as caller ID; 2 plays the GP's message and offers the choice again."""
    pressed = (digits or "").strip()
    if pressed == LISTEN_KEY and briefing.recording_url:
        response = VoiceResponse()
        response.play(briefing.recording_url)
        replay = _choices(settings, links, briefing, _senior("End of the message."))
        for verb in replay.verbs:
            response.append(verb)
        return response
    response = VoiceResponse()
    if briefing.done_by is not None:
        _say_to_senior(settings, response, _already_done(briefing.done_by))
        response.hangup()
        return response
    if not wants_gp(briefing, pressed):
        _say_to_senior(settings, response, _senior("Callback not started. Goodbye."))
        response.hangup()
        return response
    assert briefing.gp_number is not None
    _say_to_senior(settings, response, _senior("Calling the GP, stay on the line."))
    dial = response.dial(
        caller_id=settings.hotline_number,
        timeout=GP_RING_TIMEOUT,
        action=links.dial_result(briefing.call_id),
        method="POST",
        ring_tone="fr",
    )
    dial.number(
        briefing.gp_number,
        url=links.screen(briefing.call_id),
        method="POST",
        status_callback=links.status(briefing.call_id, "gp"),
        status_callback_event="initiated ringing answered completed",
        status_callback_method="POST",
    )
    return response


def _already_done(name: str) -> str:
    return _senior("This callback was already made by {name}. Goodbye.", name=name)


def gp_screen(settings: Settings, links: CallbackCallLinks, briefing: Briefing) -> VoiceResponse:
    """On the GP's leg, before the bridge (only Say/Gather/Hangup allowed here): a key proves a person."""
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf", num_digits=1, timeout=settings.screen_timeout, action=links.screen_answer(briefing.call_id), method="POST"
    )
    words = in_language(briefing.gp_language)
    hello = words._(
        "Hello, this is Recours: the {specialty} department is returning your call. Press 1 to take the call.",
        specialty=briefing.specialty_gp_language,
    )
    gather.say(hello, **voice(settings, words.language))
    response.hangup()
    return response


def gp_accepted(digits: str) -> bool:
    return (digits or "").strip() == ACCEPT_KEY


def gp_screen_answer(digits: str) -> VoiceResponse:
    """1: an empty document ends the announcement and Twilio bridges; anything else ends the GP's leg."""
    response = VoiceResponse()
    if not gp_accepted(digits):
        response.hangup()
    return response


def dial_result(settings: Settings, briefing: Briefing, bridged: bool) -> VoiceResponse:
    """After the Dial on the senior's leg: goodbye after a conversation, otherwise say the request stays open."""
    response = VoiceResponse()
    if not bridged:
        _say_to_senior(
            settings,
            response,
            _senior(
                "The GP did not take the call. The callback is still to be made: reply R {code} to try again. Goodbye.",
                code=_spelled(briefing.code),
            ),
        )
    response.hangup()
    return response


def refused(settings: Settings) -> VoiceResponse:
    """A callback call we do not know (or an internal failure): end it politely."""
    response = VoiceResponse()
    _say_to_senior(settings, response, _senior("Recours: this call is no longer valid. Goodbye."))
    response.hangup()
    return response
