"""What every webhook module needs from Flask, written once: the settings and a TwiML answer."""

from __future__ import annotations

from flask import Flask, Request, Response, current_app
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from twilio.twiml.voice_response import VoiceResponse

from core.config import Settings
from ivr import links


def settings() -> Settings:
    return current_app.config["SETTINGS"]


def twiml(response: VoiceResponse) -> Response:
    # No XML declaration: nothing may precede it, and Twilio does not need it.
    return Response(str(response), status=200, mimetype="text/xml")


class NoSessionForTwilio(SecureCookieSessionInterface):
    """Flask's signed-cookie session, never opened for Twilio's requests: no webhook reads or sets one,
    and a session costs each of them a signing serializer (``create_app`` installs it)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(links.PREFIX):  # (the route is not matched yet: Flask opens the session first)
            return None  # Flask then uses its null session, and saves nothing
        return super().open_session(app, request)
