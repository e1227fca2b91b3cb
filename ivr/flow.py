"""The hotline's decisions. Each function takes the call as logged so far and what the caller did, and
returns a :class:`Step`: the TwiML to answer Twilio with and the facts for the call log.

The rules a GP relies on live here: barge-in menus, three tries then the switchboard, primary → backup
→ last resort, a recorded callback request when nobody answers. Every path ends with a human or a
recorded request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from calllog import events as ev
from calllog.models import AttemptResult, Call
from core.config import Settings
from core.phones import spoken_last_digits
from directory.queries import titled
from ivr import defer, prompts, staged
from ivr.links import Links
from ivr.menu import HotlineMenu
from ivr.speech import match_command, match_specialty, speech_hints
from ivr.state import CallState
from rota.queries import HuntEntry, MenuEntry
from routing.snapshot import Routing

ACCEPT_KEY = "1"
SWITCHBOARD_KEY = "0"
LANGUAGE_KEY = "*"
CALLBACK_KEY = "1"


@dataclass(frozen=True)
class Context:
    """What every decision may consult besides the call: settings, URLs, the rota, the instant."""

    settings: Settings
    links: Links
    session: Session
    now: datetime
    menu: HotlineMenu
    # The routing snapshot, with the database behind it; None: the database only (see :func:`routing`).
    routing_source: Routing | None = None

    @property
    def routing(self) -> Routing:
        return self.routing_source or Routing(None, lambda: self.session, self.menu)

    def carrying(self, **changes) -> Context:
        """The same context, its URLs carrying the call's state with ``changes``."""
        state = (self.links.state or CallState()).but(**changes)
        return dataclasses.replace(self, links=self.links.with_state(state))

    # (prompt key, language) → the path of the hospital's recording of it (:mod:`voice`); none: TTS.
    recordings: Mapping[tuple[str, str], str] = field(default_factory=dict)


@dataclass
class Step:
    twiml: VoiceResponse
    events: list[ev.LogEvent] = field(default_factory=list)
    # The next webhooks read these facts from the call log, not from the URL (staged ringing's do):
    # they are written before Twilio gets the answer, even when the log is written behind.
    read_from_the_log: bool = False


# -- speaking ---------------------------------------------------------------------------------------


def _say(ctx: Context, node, language: str, words: str) -> None:
    """Say ``words``; a prompt the hospital recorded in this language is played instead (:mod:`voice`)."""
    _say_with(ctx.settings, ctx.recordings, node, language, words)


def _say_with(settings: Settings, recordings: Mapping[tuple[str, str], str], node, language: str, words: str) -> None:
    pending: list[str] = []
    for part in getattr(words, "parts", None) or (words,):
        path = recordings.get((getattr(part, "key", None), language))
        if path is None:
            pending.append(part)
            continue
        if pending:
            node.say(" ".join(pending), **prompts.voice(settings, language))
            pending = []
        node.play(settings.public_base_url.rstrip("/") + path)
    if pending:
        node.say(" ".join(pending), **prompts.voice(settings, language))


# -- the menu ---------------------------------------------------------------------------------------


def incoming(ctx: Context, call: Call, dialled_e164: str | None) -> Step:
    """A new call: straight to the hunt on a specialty's direct number, otherwise the menu."""
    direct = ctx.routing.by_direct_number(dialled_e164)
    if direct is not None:
        return start_hunt(ctx, call, direct)
    return Step(menu(ctx, call.language, greeting=True))


def menu(ctx: Context, language: str, *, greeting: bool, before: str | None = None) -> VoiceResponse:
    """The menu inside one Gather, so a key or a word during the prompt acts at once (barge-in)."""
    entries = ctx.routing.menu_entries()
    response = VoiceResponse()
    if before:
        _say(ctx, response, language, before)
    gather = response.gather(
        input="dtmf speech",
        num_digits=1,
        action=ctx.links.menu(),
        method="POST",
        timeout=ctx.settings.menu_timeout,
        speech_timeout="auto",
        language=prompts.LANGUAGES[language],
        hints=speech_hints(entries, language),
        action_on_empty_result="true",
    )
    _say(ctx, gather, language, prompts.menu_text(language, entries, greeting=greeting))
    # Should the empty result not be posted, Twilio falls through to here: the menu handler then counts
    # the silence like any other failed try.
    response.redirect(ctx.links.menu(), method="POST")
    return response


def menu_input(ctx: Context, call: Call, digits: str, speech: str) -> Step:
    """What the GP pressed or said at the menu."""
    language = call.language
    entries = ctx.routing.menu_entries()
    digits = (digits or "").strip()
    command = match_command(speech) if speech and not digits else None
    if digits == LANGUAGE_KEY or command in ("english", "french"):
        other = "en" if language == "fr" else "fr"
        wanted = {"english": "en", "french": "fr"}.get(command or "", other)
        return Step(menu(ctx.carrying(language=wanted), wanted, greeting=False), [ev.LanguageChosen(wanted)])
    if digits == SWITCHBOARD_KEY or command == "switchboard":
        return to_switchboard(ctx, language)
    chosen: MenuEntry | None = None
    if digits:
        chosen = next((e for e in entries if e.digit == digits), None)
    elif speech:
        chosen = match_specialty(entries, speech)
    if chosen is not None:
        return start_hunt(ctx, call, chosen)
    failures = call.menu_failures + 1
    ctx = ctx.carrying(menu_failures=failures)
    if failures >= ctx.settings.menu_max_failures or not entries:
        step = to_switchboard(ctx, language, before=prompts.text(language, "not_understood"))
        step.events.insert(0, ev.MenuFailed(failures))
        return step
    return Step(
        menu(ctx, language, greeting=False, before=prompts.text(language, "not_understood")),
        [ev.MenuFailed(failures)],
    )


# -- the hunt ---------------------------------------------------------------------------------------


def start_hunt(ctx: Context, call: Call, chosen: MenuEntry) -> Step:
    """Read who is on duty now and ring the first of them, or offer a callback when nobody is."""
    language = call.language
    routing = ctx.routing
    hunt = tuple(routing.hunt_list(chosen.specialty_id, ctx.now))
    version = routing.snapshot.rota_version if routing.snapshot is not None else None
    ctx = ctx.carrying(specialty_id=chosen.specialty_id, hunt=tuple((e.senior_id, e.layer) for e in hunt), rota_version=version)
    events: list[ev.LogEvent] = [ev.SpecialtyChosen(chosen.specialty_id, hunt)]
    name = chosen.name(language)
    if not hunt:
        response = callback_offer(ctx, language, before=prompts.text(language, "nobody_on_duty", specialty=name))
        return Step(response, events)
    intro = prompts.text(language, "searching", Specialty=name[:1].upper() + name[1:])
    if staged.applies(ctx, chosen.specialty_id, hunt):  # the primary alone for S seconds, then the backup too
        return Step(staged.start(ctx, call, intro), events, read_from_the_log=True)
    step = _dial(ctx, call, 0, hunt[0], language, intro=intro)
    step.events[:0] = events
    return step


def _dial(ctx: Context, call: Call, rank: int, entry: HuntEntry, language: str, intro: str | None) -> Step:
    response = VoiceResponse()
    if intro:
        _say(ctx, response, language, intro)
    show_gp = ctx.settings.show_gp_number_to_senior and call.caller_e164
    dial = response.dial(
        caller_id=call.caller_e164 if show_gp else ctx.settings.hotline_number,
        answer_on_bridge="true",
        timeout=ctx.settings.ring_timeout,
        action=ctx.links.dial_result(rank),
        method="POST",
        ring_tone="fr",
    )
    dial.number(
        entry.number,
        url=ctx.links.screen(rank),
        method="POST",
        status_callback=ctx.links.attempt_status(rank),
        status_callback_event="initiated ringing answered completed",
        status_callback_method="POST",
    )
    return Step(response, [ev.AttemptDialled(rank, entry)])


def continue_hunt(ctx: Context, call: Call, next_rank: int, intro: str | None) -> Step:
    """Ring hunt entry ``next_rank``, or offer a callback when the list is exhausted."""
    hunt = [HuntEntry.from_json(h) for h in (call.hunt or [])]
    if next_rank < len(hunt):
        return _dial(ctx, call, next_rank, hunt[next_rank], call.language, intro)
    return Step(callback_offer(ctx, call.language, before=prompts.text(call.language, "nobody_answered")))


def classify_miss(call: Call, rank: int, dial_call_status: str) -> AttemptResult:
    """Why attempt ``rank`` did not connect. Acceptance is decided only by our own record of the
    screening key: a voicemail that picks up is "completed" to Twilio, yet nobody accepted."""
    attempt = call.attempt(rank)
    if attempt is not None and attempt.result is not None:
        return attempt.result
    if attempt is not None and attempt.answered_at is not None:
        return AttemptResult.NOT_ACCEPTED
    if dial_call_status in ("completed", "answered"):
        return AttemptResult.NOT_ACCEPTED
    return AttemptResult.of_unanswered_leg(dial_call_status) or AttemptResult.NO_ANSWER


def dial_result(ctx: Context, call: Call, rank: int, dial_call_status: str) -> Step:
    """A senior's Dial ended: after a conversation we say goodbye, after a miss we ring the next one."""
    attempt = call.attempt(rank)
    if attempt is not None and attempt.result is AttemptResult.ACCEPTED:
        response = VoiceResponse()
        response.hangup()
        return Step(response, [ev.AttemptEnded(rank, AttemptResult.ACCEPTED), ev.CallFinished()])
    if attempt is not None and attempt.result is AttemptResult.DEFERRED and call.ended_at is None:
        return defer.promise(ctx, call, rank)
    result = classify_miss(call, rank, dial_call_status)
    events: list[ev.LogEvent] = [ev.AttemptEnded(rank, result)]
    if call.ended_at is not None or result is AttemptResult.CALLER_HUNG_UP:
        return Step(VoiceResponse(), events)
    step = continue_hunt(ctx, call, rank + 1, intro=prompts.text(call.language, "next_senior"))
    step.events[:0] = events
    return step


# -- the senior's side ------------------------------------------------------------------------------


def screen(ctx: Context, call: Call, rank: int, gp_name: str | None) -> Step:
    """The announcement on the senior's leg: who calls, for what, and press 1 to accept."""
    specialty = ctx.routing.specialty_name(call.specialty_id, "fr")
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf", num_digits=1, timeout=ctx.settings.screen_timeout, action=ctx.links.screen_answer(rank), method="POST"
    )
    voice = prompts.voice(ctx.settings, prompts.STAFF_LANGUAGE)
    if gp_name:
        gather.say(prompts.WHISPER["known_gp"].format(gp=titled(gp_name), specialty=specialty), **voice)
    elif call.caller_e164:
        say = gather.say(prompts.WHISPER["unknown_gp"], **voice)
        say.say_as(spoken_last_digits(call.caller_e164), interpret_as="telephone")
        gather.say(prompts.WHISPER["unknown_gp_tail"].format(specialty=specialty), **voice)
    else:
        gather.say(prompts.WHISPER["hidden_gp"].format(specialty=specialty), **voice)
    gather.say(prompts.WHISPER["press_one"].format(minutes=defer.minutes_for(ctx, call)), **voice)
    response.say(prompts.WHISPER["not_accepted"], **voice)
    response.hangup()
    return Step(response, [ev.AttemptAnswered(rank)])


def screen_answer(ctx: Context, call: Call, rank: int, digits: str) -> Step:
    """1 bridges the GP (an empty document ends the announcement and Twilio connects); 3 defers with a
    promise (ivr/defer.py); anything else ends the senior's leg and the GP's Dial moves on."""
    if (digits or "").strip() == ACCEPT_KEY and call.ended_at is None:
        return Step(VoiceResponse(), [ev.AttemptAccepted(rank)])
    if (digits or "").strip() == defer.DEFER_KEY and call.ended_at is None:
        return defer.deferred(ctx, call, rank)
    response = VoiceResponse()
    response.say(prompts.WHISPER["declined"], **prompts.voice(ctx.settings, prompts.STAFF_LANGUAGE))
    response.hangup()
    return Step(response, [ev.AttemptDeclined(rank)])


# -- when nobody answered ---------------------------------------------------------------------------


def callback_offer(ctx: Context, language: str, before: str | None = None) -> VoiceResponse:
    response = VoiceResponse()
    if before:
        _say(ctx, response, language, before)
    gather = response.gather(
        input="dtmf",
        num_digits=1,
        timeout=ctx.settings.menu_timeout,
        action=ctx.links.callback_choice(),
        method="POST",
        action_on_empty_result="true",
    )
    _say(ctx, gather, language, prompts.text(language, "callback_offer"))
    response.redirect(ctx.links.callback_choice(), method="POST")
    return response


def callback_choice(ctx: Context, call: Call, digits: str) -> Step:
    """0 is the switchboard; anything else, silence included, records a callback request."""
    if (digits or "").strip() == SWITCHBOARD_KEY and call.switchboard_at is None:
        return to_switchboard(ctx, call.language)
    return record_callback(ctx, call.language)


def record_callback(ctx: Context, language: str, before: str | None = None) -> Step:
    """The request is stored before the message is recorded, so a GP who hangs up at the beep is still
    called back."""
    response = VoiceResponse()
    if before:
        _say(ctx, response, language, before)
    _say(ctx, response, language, prompts.text(language, "recording_notice"))
    _record(response, ctx.settings, ctx.links)
    # Reached when nothing was recorded: the request stands without a message.
    _say(ctx, response, language, prompts.text(language, "callback_saved"))
    response.hangup()
    return Step(response, [ev.CallbackRequested()])


def recording_saved(ctx: Context, call: Call, url: str | None, sid: str | None, seconds: int | None) -> Step:
    return Step(
        goodbye_after_recording(ctx.settings, call.language, ctx.recordings), [ev.RecordingReceived(url, sid, seconds), ev.CallFinished()]
    )


def goodbye_after_recording(
    settings: Settings, language: str = "fr", recordings: Mapping[tuple[str, str], str] | None = None
) -> VoiceResponse:
    """The request is kept (in the log, or in the journal while the database is away): goodbye, never
    the recording prompt again — a failing Record action must not become a loop. Without
    ``recordings`` (the fallback, which reads nothing) the words are said, not played."""
    response = VoiceResponse()
    _say_with(settings, recordings or {}, response, language, prompts.text(language, "callback_saved"))
    response.hangup()
    return response


def _record(response: VoiceResponse, settings: Settings, links: Links) -> None:
    """The GP's callback message: up to RECORD_MAX_LENGTH seconds, ended by # or 5 s of silence."""
    response.record(
        action=links.recording(),
        method="POST",
        max_length=settings.record_max_length,
        timeout=5,
        finish_on_key="#",
        play_beep="true",
    )


# -- the switchboard --------------------------------------------------------------------------------


def _dial_switchboard(response: VoiceResponse, settings: Settings, action: str | None = None) -> None:
    """Ring the switchboard for 30 s; with ``action``, Twilio tells us how it went."""
    if action is None:
        response.dial(settings.fallback_number, timeout=30)
    else:
        response.dial(settings.fallback_number, action=action, method="POST", timeout=30)


def to_switchboard(ctx: Context, language: str, before: str | None = None) -> Step:
    response = VoiceResponse()
    _say(ctx, response, language, " ".join(filter(None, [before, prompts.text(language, "to_switchboard")])))
    _dial_switchboard(response, ctx.settings, action=ctx.links.switchboard_result())
    return Step(response, [ev.TransferredToSwitchboard()])


def switchboard_result(ctx: Context, call: Call, dial_call_status: str) -> Step:
    """After the switchboard: goodbye if it answered, otherwise a callback request, never a dead end."""
    if dial_call_status in ("completed", "answered"):
        response = VoiceResponse()
        response.hangup()
        return Step(response, [ev.CallFinished()])
    if call.ended_at is not None:
        return Step(VoiceResponse())
    return record_callback(ctx, call.language, before=prompts.text(call.language, "switchboard_missed"))


def message_after_switchboard(settings: Settings, links: Links, language: str = "fr") -> VoiceResponse:
    """The switchboard was tried and its result could not be handled: take a message, do not ring it again."""
    response = VoiceResponse()
    say = prompts.voice(settings, language)
    response.say(prompts.text(language, "switchboard_missed"), **say)
    response.say(prompts.text(language, "recording_notice"), **say)
    _record(response, settings, links)
    response.say(prompts.text(language, "callback_saved"), **say)
    response.hangup()
    return response


def fallback(settings: Settings, links: Links, language: str = "fr") -> VoiceResponse:
    """For Twilio's Fallback URL and for any internal failure: needs neither the database nor the rota.
    The switchboard's Dial posts to an action that needs no database either: goodbye after a
    conversation, a message after a miss (:func:`message_after_switchboard`) — never the same Dial again."""
    response = VoiceResponse()
    response.say(prompts.text(language, "incident"), **prompts.voice(settings, language))
    _dial_switchboard(response, settings, action=links.fallback_switchboard())
    return response
