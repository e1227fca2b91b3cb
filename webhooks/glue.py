"""What every webhook module needs from Flask, written once: the settings and a TwiML answer."""

from __future__ import annotations

from flask import Response, current_app
from twilio.twiml.voice_response import VoiceResponse

from core.config import Settings


def settings() -> Settings:
    return current_app.config["SETTINGS"]


def twiml(response: VoiceResponse) -> Response:
    # No XML declaration: nothing may precede it, and Twilio does not need it.
    return Response(str(response), status=200, mimetype="text/xml")
