"""Twilio's REST API as the simulator plays it, for the app's own ``twilio.rest.Client``.

`RestApi` is a ``twilio.http.HttpClient``: install it as the app's Twilio HTTP client
(``notify.providers.use_twilio_http_client(lambda: simulator.rest)``) and every request the real
client library builds — ``calls.create``, ``calls(sid).update(status=...)``, ``messages.create`` —
reaches the simulator instead of the network. What it supports, as Twilio documents it:

- ``POST /2010-04-01/Accounts/{AccountSid}/Calls.json`` with ``To``, ``From``, ``Url`` (or ``Twiml``),
  ``Method``, ``Timeout`` (ring seconds, default 60, at most 600), ``StatusCallback``,
  ``StatusCallbackEvent`` (the parameter repeated once per event: initiated ringing answered
  completed; only ``completed`` by default), ``StatusCallbackMethod``, ``MachineDetection``;
- ``POST …/Calls/{CallSid}.json`` with ``Status=canceled`` (ends a queued or ringing call, and
  nothing else) or ``Status=completed`` (ends it whatever its state); on the running inbound call,
  ``Url`` (+ ``Method``): the call leaves its current verb and runs that URL's TwiML (error 21220 once
  it has ended);
- ``GET …/Calls/{CallSid}.json``, for the calls the app placed and for the GPs' calls played (their
  final ``status``, ``start_time``, ``end_time`` in RFC 2822 and ``duration``, as Twilio answers);
- ``POST …/Messages.json`` with ``To``, ``From``, ``Body``, ``StatusCallback`` (recorded in
  ``Simulator.sms``);
- ``GET …/Recordings/{RecordingSid}.wav`` (or without an extension, Twilio's default WAV), through
  :meth:`RestApi.get_media`: the audio of a recording the simulator made (:mod:`simulator.audio`).

Answers are Twilio's JSON: the resource, or an error with Twilio's code. Requests are checked for the
account's credentials (HTTP basic auth with the Account SID and the Auth Token).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from twilio.http import HttpClient
from twilio.http.response import Response

if TYPE_CHECKING:
    from .engine import Simulator

_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/(?P<resource>Calls|Messages)(?:/(?P<sid>[^/.]+))?\.json$")
_MEDIA = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Recordings/(?P<sid>RE[0-9a-fA-F]{32})(?:\.wav)?$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_CALL_EVENTS = {"initiated", "ringing", "answered", "completed"}
MAX_TIMEOUT = 600


@dataclass(frozen=True)
class RestRequest:
    """One request the app made to the simulated REST API, and its answer."""

    method: str
    path: str
    data: dict[str, list[str]]
    status: int
    answer: dict[str, Any]

    def value(self, name: str) -> str | None:
        values = self.data.get(name)
        return values[0] if values else None


class _Refused(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _form(data: dict[str, object] | None) -> dict[str, list[str]]:
    """The request body as Twilio receives it: each parameter with all its values (a list given to
    twilio-python is sent as the parameter repeated)."""
    form: dict[str, list[str]] = {}
    for name, value in (data or {}).items():
        values = value if isinstance(value, (list, tuple)) else [value]
        form[name] = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
    return form


class RestApi(HttpClient):
    def __init__(self, simulator: Simulator) -> None:
        HttpClient.__init__(self, logging.getLogger("simulator.rest"), False)
        self.simulator = simulator
        self.requests: list[RestRequest] = []
        self._lock = threading.Lock()

    def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        form = _form(data if method.upper() == "POST" else params)
        path = urlsplit(uri).path
        with self._lock:
            try:
                status, answer = self._answer(method.upper(), path, form, auth)
            except _Refused as refused:
                status, answer = refused.status, {"code": refused.code, "message": refused.message, "status": refused.status}
            self.requests.append(RestRequest(method.upper(), path, form, status, answer))
        return Response(status, json.dumps(answer))

    def get_media(self, url: str, auth: tuple[str, str] | None) -> tuple[int, str, bytes]:
        """A media URL: (status, Content-Type, body). twilio-python's ``request`` decodes answers as
        text, so the app fetches audio through this instead (``notify.providers._fetch_media``)."""
        from .audio import stand_in_wav

        path = urlsplit(url).path
        sim = self.simulator
        with self._lock:
            match = _MEDIA.match(path)
            if auth is None or tuple(auth) != (sim.account_sid, sim.auth_token):
                status, content_type, body = 401, "application/json", b'{"code": 20003, "message": "Authenticate", "status": 401}'
            elif match is None or match["account"] != sim.account_sid or match["sid"] not in sim.recordings:
                status, content_type, body = 404, "application/json", b'{"code": 20404, "message": "not found", "status": 404}'
            else:
                status, content_type, body = 200, "audio/x-wav", stand_in_wav(sim.recordings[match["sid"]].duration)
            self.requests.append(RestRequest("GET", path, {}, status, {"content_type": content_type, "bytes": len(body)}))
        return status, content_type, body

    # ------------------------------------------------------------------ routing

    def _answer(self, method: str, path: str, form: dict[str, list[str]], auth: tuple[str, str] | None) -> tuple[int, dict[str, Any]]:
        sim = self.simulator
        if auth is None or tuple(auth) != (sim.account_sid, sim.auth_token):
            raise _Refused(401, 20003, "Authenticate")
        match = _PATH.match(path)
        if match is None or match["account"] != sim.account_sid:
            raise _Refused(404, 20404, f"The requested resource {path} was not found")
        resource, sid = match["resource"], match["sid"]
        if resource == "Messages" and sid is None and method == "POST":
            return 201, self._send_sms(form)
        if resource == "Calls" and sid is None and method == "POST":
            return 201, self._create_call(form)
        if resource == "Calls" and sid is not None and method == "POST" and (leg := sim.inbound_leg(sid)) is not None:
            self._redirect(leg, form)
            inbound = sim.inbound_call(sid)
            return 200, inbound if inbound is not None else {"sid": sid, "account_sid": sim.account_sid, "status": leg.call_status}
        if resource == "Calls" and sid is not None:
            spec = sim.api_call(sid)
            inbound = sim.inbound_call(sid) if spec is None else None
            if inbound is not None and method == "GET":
                return 200, inbound
            if spec is None:
                raise _Refused(404, 20404, f"The requested resource {path} was not found")
            if method == "POST":
                self._update_call(spec, form)
            elif method != "GET":
                raise _Refused(405, 20004, f"Method {method} not allowed")
            return 200, spec.resource(sim.account_sid)
        raise _Refused(404, 20404, f"The requested resource {path} was not found")

    # ------------------------------------------------------------------ Calls

    @staticmethod
    def _one(form: dict[str, list[str]], name: str) -> str | None:
        values = form.get(name)
        return values[-1].strip() if values else None

    def _create_call(self, form: dict[str, list[str]]) -> dict[str, Any]:
        from .engine import _ApiCallSpec

        sim = self.simulator
        to, from_ = self._one(form, "To"), self._one(form, "From")
        url, twiml_text = self._one(form, "Url"), self._one(form, "Twiml")
        if not to:
            raise _Refused(400, 21201, "No 'To' number is specified")
        if not from_:
            raise _Refused(400, 21213, "No 'From' number is specified")
        if not _E164.match(to):
            raise _Refused(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not url and not twiml_text:
            raise _Refused(400, 21205, "Url parameter is required.")
        if url and urlsplit(url).scheme not in ("http", "https"):
            raise _Refused(400, 21205, f"Url is not a valid URL: {url}")
        raw_timeout = self._one(form, "Timeout")
        try:
            timeout = float(raw_timeout) if raw_timeout else 60.0
        except ValueError:
            raise _Refused(400, 21216, f"Timeout must be a number of seconds: {raw_timeout!r}") from None
        timeout = min(max(timeout, 1.0), MAX_TIMEOUT)
        events: set[str] = set()
        for value in form.get("StatusCallbackEvent", []):
            if value in _CALL_EVENTS:
                events.add(value)
            else:
                # A space-separated string is one unknown event to the REST API: repeat the parameter.
                sim._issue(f"StatusCallbackEvent={value!r} is not one of {sorted(_CALL_EVENTS)}: repeat the parameter once per event")
        method = (self._one(form, "Method") or "POST").upper()
        callback_method = (self._one(form, "StatusCallbackMethod") or "POST").upper()
        if method not in ("GET", "POST") or callback_method not in ("GET", "POST"):
            raise _Refused(400, 21207, "Method must be GET or POST")
        machine_detection = self._one(form, "MachineDetection")
        if machine_detection not in (None, "Enable", "DetectMessageEnd"):
            raise _Refused(400, 21226, f"MachineDetection must be Enable or DetectMessageEnd: {machine_detection!r}")
        spec = _ApiCallSpec(
            sid="CA" + uuid.uuid4().hex,
            to=to,
            from_=from_,
            url=url,
            method=method,
            twiml=None if url else twiml_text,
            timeout=timeout,
            status_callback=self._one(form, "StatusCallback"),
            status_callback_events=frozenset(events or {"completed"}),
            status_callback_method=callback_method,
            machine_detection=machine_detection,
        )
        sim.create_call(spec)
        return spec.resource(sim.account_sid)

    def _redirect(self, leg: Any, form: dict[str, list[str]]) -> None:
        """``Url`` (and ``Method``) on a live call: run new TwiML. Only this is simulated on an inbound call."""
        url = self._one(form, "Url")
        others = sorted(set(form) - {"Url", "Method"})
        if others:
            self.simulator._issue(f"REST update of the inbound call {leg.sid} with {', '.join(others)} is not simulated")
        if not url:
            return
        if urlsplit(url).scheme not in ("http", "https"):
            raise _Refused(400, 21205, f"Url is not a valid URL: {url}")
        method = (self._one(form, "Method") or "POST").upper()
        if not self.simulator.redirect_call(leg, url, method):
            raise _Refused(400, 21220, "Call is not in-progress. Cannot redirect.")

    def _update_call(self, spec: Any, form: dict[str, list[str]]) -> None:
        status = self._one(form, "Status")
        others = sorted(set(form) - {"Status"})
        if others:
            self.simulator._issue(f"REST update of {spec.sid} with {', '.join(others)} is not simulated")
        if status is None:
            return
        if status not in ("canceled", "completed"):
            raise _Refused(400, 21218, f"Invalid Status {status!r}: canceled or completed")
        self.simulator.update_call(spec, status)

    # ------------------------------------------------------------------ Messages

    def _send_sms(self, form: dict[str, list[str]]) -> dict[str, Any]:
        to, from_, body = self._one(form, "To"), self._one(form, "From"), self._one(form, "Body")
        if not to:
            raise _Refused(400, 21604, "A 'To' phone number is required.")
        if not _E164.match(to):
            raise _Refused(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not from_ and not self._one(form, "MessagingServiceSid"):
            raise _Refused(400, 21603, "A 'From' phone number is required.")
        if not body:
            raise _Refused(400, 21602, "Message body is required.")
        values = form.get("Body") or [""]
        record = self.simulator.record_sms(to, from_ or "", values[-1], self._one(form, "StatusCallback"))
        account = self.simulator.account_sid
        return {"sid": record.sid, "account_sid": account, "to": to, "from": from_, "body": record.body, "status": "queued"}
