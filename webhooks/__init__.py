"""Twilio's side of the hotline over HTTP: signed requests in, TwiML out."""

from webhooks.views import blueprint

__all__ = ["blueprint"]
from webhooks import callback_calls, sms, staged  # noqa: F401 - they add their routes to the blueprint
