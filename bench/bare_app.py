"""The ceiling for :mod:`bench.webhooks`: a bare Flask app that answers every POST with a static TwiML document.

It runs under the same gunicorn configuration as Recours and receives the same signed requests, but
does none of our work (no signature check, no form parsing, no database, no TwiML building). What it
costs per request is what Flask + gunicorn + the load generator cost on this machine; our throughput is
reported as a fraction of it.

The benchmark passes our real menu answer in ``BENCH_BARE_TWIML`` so both apps send the same bytes;
without it a document of the same shape stands in.

    gunicorn 'bench.bare_app:create_app()'
"""

from __future__ import annotations

import os

from flask import Flask, Response

# Same shape as the answer to /twilio/voice (greeting and menu in a barge-in Gather), used only when
# the benchmark did not hand over the real one.
DEFAULT_TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Gather action="http://127.0.0.1:5000/twilio/menu" actionOnEmptyResult="true" hints="neurologie, neuro, neurologue, AVC, '
    'cardiologie, cardio, cardiologue, coeur, pédiatrie, pédiatre, enfant, gériatrie, gériatre, personne âgée, standard" '
    'input="dtmf speech" language="fr-FR" method="POST" numDigits="1" speechTimeout="auto" timeout="5">'
    '<Say language="fr-FR" voice="Polly.Lea">Recours, avis spécialisé pour les médecins généralistes. '
    "neurologie, tapez 1. cardiologie, tapez 2. pédiatrie, tapez 3. gériatrie, tapez 4. Ou dites la spécialité. "
    "Standard, tapez 0. For English, press star.</Say></Gather>"
    '<Redirect method="POST">http://127.0.0.1:5000/twilio/menu</Redirect></Response>'
)


def create_app(document: str | None = None) -> Flask:
    """Build the bare app; ``document`` (or ``BENCH_BARE_TWIML``) is the TwiML every POST gets."""
    app = Flask(__name__)
    body = (document or os.environ.get("BENCH_BARE_TWIML") or DEFAULT_TWIML).encode("utf-8")

    @app.post("/<path:_path>")
    def twiml(_path: str) -> Response:
        return Response(body, status=200, mimetype="text/xml")

    @app.get("/healthz")
    def healthz() -> tuple[str, int]:
        return "ok", 200

    return app
