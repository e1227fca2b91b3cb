"""The toy IVR of :mod:`bench.webhooks`: what any Twilio voice app does at the least, with no database.

It checks the request's signature exactly as Recours does (:class:`twilio.request_validator.RequestValidator`
over the public URL and the POST fields) and builds a menu with the ``twilio`` library's ``VoiceResponse``
(a barge-in ``Gather`` with a ``Say``, then a ``Redirect``). Between the bare static answer
(:mod:`bench.bare_app`, the ceiling) and Recours, it shows what signing and building TwiML cost alone.

With ``BENCH_TOY_DATABASE_URL`` (PostgreSQL), the "toy IVR + log": the same, plus the least a hotline that
logs its calls can write, one row per request, before answering: a single prepared ``INSERT … ON CONFLICT``
sent in autocommit on a connection kept per thread (one round trip, no BEGIN or COMMIT, no ORM, no pool).
Between it and the toy IVR lies what writing the log costs at the least on this machine.

    BENCH_TOY_TOKEN=... BENCH_PUBLIC_BASE_URL=http://127.0.0.1:PORT gunicorn 'bench.toy_ivr:create_app()'
"""

from __future__ import annotations

import os
import threading

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Gather, VoiceResponse

MENU = (
    "Recours, avis spécialisé pour les médecins généralistes. neurologie, tapez 1. cardiologie, tapez 2. "
    "pédiatrie, tapez 3. gériatrie, tapez 4. Ou dites la spécialité. Standard, tapez 0. For English, press star."
)


# Every request writes a row version (a replayed CallSid updates its row), as a new call would.
LOG_TABLE = "CREATE TABLE IF NOT EXISTS bench_toy_call (sid text PRIMARY KEY, caller text NOT NULL, seen integer NOT NULL)"
LOG_ROW = "INSERT INTO bench_toy_call (sid, caller, seen) VALUES (%s, %s, 1) ON CONFLICT (sid) DO UPDATE SET seen = bench_toy_call.seen + 1"


class _Log:
    """One psycopg connection per thread, in autocommit; the statement prepared on its first use."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.local = threading.local()
        with self._connect() as connection:
            connection.execute(LOG_TABLE)

    def _connect(self):
        import psycopg

        return psycopg.connect(self.url, autocommit=True, prepare_threshold=0)

    def write(self, sid: str, caller: str) -> None:
        connection = getattr(self.local, "connection", None)
        if connection is None or connection.closed:
            connection = self.local.connection = self._connect()
        connection.execute(LOG_ROW, (sid, caller))


def create_app(token: str | None = None, public_base_url: str | None = None) -> Flask:
    app = Flask(__name__)
    validator = RequestValidator(token or os.environ["BENCH_TOY_TOKEN"])
    base = (public_base_url or os.environ["BENCH_PUBLIC_BASE_URL"]).rstrip("/")
    database_url = os.environ.get("BENCH_TOY_DATABASE_URL")
    call_log = _Log(database_url) if database_url else None

    @app.post("/<path:path>")
    def menu(path: str) -> Response:
        if not validator.validate(f"{base}/{path}", request.form, request.headers.get("X-Twilio-Signature", "")):
            abort(403)
        if call_log is not None:
            call_log.write(request.form.get("CallSid", ""), request.form.get("From", ""))
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
