"""Shared helpers of the simulator's tests: a throw-away Flask app that answers hand-written TwiML.

The app checks every request's signature with twilio's RequestValidator against the public URL
(as the real app must behind its proxy) and answers 403 otherwise, so these tests also prove the
simulator signs exactly as Twilio does. (A uniquely named module, not conftest.py, so that test
files can import it without clashing with the project's own tests/conftest.py.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Response, request
from twilio.request_validator import RequestValidator

PUBLIC = "https://recours.example.org"
TOKEN = "test-auth-token"
HOTLINE = "+33140000000"
GP = "+33612345678"

Answer = str | tuple[Any, ...] | Response | Callable[[Mapping[str, str]], Any]


def twiml(body: str) -> str:
    """A TwiML document around `body` (hand-written on purpose: these tests are about parsing)."""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'


class TwimlApp:
    """Answers each path with a fixed TwiML string, a callable of the form, or any Flask answer."""

    def __init__(self, public: str = PUBLIC) -> None:
        self.public = public
        self.app = Flask("twiml_test_app")
        self.app.testing = True
        self.answers: dict[str, Answer] = {"/status": ("", 204), "/child-status": ("", 204)}
        self.validator = RequestValidator(TOKEN)
        self.app.add_url_rule("/", "any", self._handle, defaults={"path": ""}, methods=["GET", "POST"])
        self.app.add_url_rule("/<path:path>", "any", self._handle, methods=["GET", "POST"])

    def on(self, path: str, answer: Answer) -> None:
        self.answers[path] = answer

    def _handle(self, path: str) -> Any:
        query = request.query_string.decode()
        url = self.public + request.path + (f"?{query}" if query else "")
        signature = request.headers.get("X-Twilio-Signature", "")
        if not self.validator.validate(url, request.form, signature):  # form only, as the docs say
            return Response("bad signature", status=403)
        answer = self.answers.get(request.path)
        if answer is None:
            return Response("not found", status=404)
        if callable(answer) and not isinstance(answer, Response):
            answer = answer(request.form if request.method == "POST" else request.args)
        if isinstance(answer, str):
            return Response(answer, mimetype="text/xml")
        return answer
