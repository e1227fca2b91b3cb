"""The webhook URLs the flow hands to Twilio, built on the public base URL Twilio signs against.

The paths are defined here once; :mod:`webhooks` registers its routes with the same constants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    from ivr.state import CallState

PREFIX = "/twilio/"  # every webhook's path starts with it (a test holds the routes to it)
VOICE = "/twilio/voice"
MENU = "/twilio/menu"
DIAL_RESULT = "/twilio/dial-result"
SCREEN = "/twilio/screen"
SCREEN_ANSWER = "/twilio/screen-answer"
CALLBACK_CHOICE = "/twilio/callback-choice"
RECORDING = "/twilio/recording"
SWITCHBOARD_RESULT = "/twilio/switchboard-result"
STATUS = "/twilio/status"
FALLBACK = "/twilio/fallback"
# The switchboard's Dial action when the fallback rang it: answered without the database.
FALLBACK_SWITCHBOARD = "/twilio/fallback-switchboard"


class Links:
    """``state`` (the call's :class:`ivr.state.CallState`) rides along in every URL of the call, signed
    by Twilio with the rest, so the next webhook needs no database read to know it."""

    def __init__(self, public_base_url: str, state: CallState | None = None) -> None:
        self.base = public_base_url.rstrip("/")
        self.state = state

    def with_state(self, state: CallState | None) -> Links:
        return Links(self.base, state)

    def _url(self, path: str, **query: object) -> str:
        if self.state is not None:
            query = {**query, **self.state.query()}
        return self.base + path + (("?" + urlencode(query)) if query else "")

    def voice(self) -> str:
        return self._url(VOICE)

    def menu(self) -> str:
        return self._url(MENU)

    def dial_result(self, rank: int) -> str:
        return self._url(DIAL_RESULT, rank=rank)

    def screen(self, rank: int) -> str:
        return self._url(SCREEN, rank=rank)

    def screen_answer(self, rank: int) -> str:
        return self._url(SCREEN_ANSWER, rank=rank)

    def attempt_status(self, rank: int) -> str:
        return self._url(STATUS, rank=rank)

    def callback_choice(self) -> str:
        return self._url(CALLBACK_CHOICE)

    def recording(self) -> str:
        return self._url(RECORDING)

    def switchboard_result(self) -> str:
        return self._url(SWITCHBOARD_RESULT)

    def status(self) -> str:
        return self._url(STATUS)

    def fallback(self) -> str:
        return self._url(FALLBACK)

    def fallback_switchboard(self) -> str:
        return self._url(FALLBACK_SWITCHBOARD)
