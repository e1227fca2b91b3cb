"""The toy IVR of :mod:`bench.webhooks`: what any Twilio voice app does at the least, with no database.

It checks the request's signature exactly as Recours does (:class:`twilio.request_validator.RequestValidator`
over the public URL and the POST fields) and builds a menu with the ``twilio`` library's ``VoiceResponse``
(a barge-in ``Gather`` with a ``Say``, then a ``Redirect``). Between the bare static answer
(:mod:`bench.bare_app`, the ceiling) and Recours, it shows what signing and building TwiML cost alone.

    BENCH_TOY_TOKEN=... BENCH_PUBLIC_BASE_URL=http://127.0.0.1:PORT gunicorn 'bench.toy_ivr:create_app()'
"""

from __future__ import annotations

import os

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Gather, VoiceResponse

MENU = (
    "Recours, avis spécialisé pour les médecins généralistes. neurologie, tapez 1. cardiologie, tapez 2. "
    "pédiatrie, tapez 3. gériatrie, tapez 4. Ou dites la spécialité. Standard, tapez 0. For English, press star."
)


def create_app(token: str | None = None, public_base_url: str | None = None) -> Flask:
    app = Flask(__name__)
    validator = RequestValidator(token or os.environ["BENCH_TOY_TOKEN"])
    base = (public_base_url or os.environ["BENCH_PUBLIC_BASE_URL"]).rstrip("/")

    @app.post("/<path:path>")
    def menu(path: str) -> Response:
        if not validator.validate(f"{base}/{path}", request.form, request.headers.get("X-Twilio-Signature", "")):
            abort(403)
        response = VoiceResponse()
        action = f"{base}/twilio/menu"
        gather = Gather(input="dtmf speech", action=action, method="POST", num_digits=1, timeout=5, language="fr-FR", speech_timeout="auto")
        gather.say(MENU, language="fr-FR", voice="Polly.Lea")
        response.append(gather)
        response.redirect(f"{base}/twilio/menu", method="POST")
        return Response(str(response), status=200, mimetype="text/xml")

    @app.get("/healthz")
    def healthz() -> tuple[str, int]:
        return "ok", 200

    return app
