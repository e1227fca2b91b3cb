"""Twilio's side of the hotline over HTTP: signed requests in, TwiML out."""

from webhooks.views import blueprint

__all__ = ["blueprint"]
