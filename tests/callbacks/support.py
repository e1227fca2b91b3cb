"""Test doubles for the outside world: Twilio's REST API (recorded) and an SMTP server on the loopback."""

from __future__ import annotations

import email
import email.policy
import itertools
import json
import logging
import socketserver
import threading
from dataclasses import dataclass, field
from typing import Any

from twilio.http import HttpClient
from twilio.http.response import Response

ACCOUNT = "AC" + "0" * 32
API = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}"


# -- Twilio's REST API, recorded --------------------------------------------------------------------


@dataclass(frozen=True)
class RestRequest:
    method: str
    url: str
    data: dict[str, Any]
    auth: tuple[str, str] | None


@dataclass
class TwilioRecorder(HttpClient):
    """A ``twilio.http.HttpClient`` that records each request and answers like Twilio would (or as
    scripted with :meth:`then`)."""

    requests: list[RestRequest] = field(default_factory=list)
    scripted: list[Response | Exception] = field(default_factory=list)

    def __post_init__(self) -> None:
        HttpClient.__init__(self, logging.getLogger("tests.twilio"), False)
        self._lock = threading.Lock()
        self._sids = itertools.count(1)

    def then(self, *answers: Response | Exception) -> None:
        """The next requests get these answers, in order (an exception is raised, like a network error)."""
        self.scripted.extend(answers)

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False) -> Response:
        with self._lock:
            self.requests.append(RestRequest(method, uri, dict(data or {}), auth))
            answer = self.scripted.pop(0) if self.scripted else None
            number = next(self._sids)
        if isinstance(answer, Exception):
            raise answer
        if answer is not None:
            return answer
        if method == "POST" and uri.endswith("/Messages.json"):
            return Response(201, json.dumps({"sid": f"SM{number:032x}", "status": "queued", "to": data["To"], "body": data["Body"]}))
        if method == "POST" and uri.endswith("/Calls.json"):
            return Response(201, json.dumps({"sid": f"CA{number:032x}", "status": "queued", "to": data["To"]}))
        if method == "DELETE" and "/Recordings/" in uri:
            return Response(204, "")
        return Response(404, json.dumps({"code": 20404, "message": "not found", "status": 404}))

    def default_sms_answer(self) -> Response:
        number = next(self._sids)
        return Response(201, json.dumps({"sid": f"SM{number:032x}", "status": "queued"}))

    def sms(self) -> list[dict[str, Any]]:
        return [r.data for r in self.requests if r.method == "POST" and r.url == f"{API}/Messages.json"]

    def sms_to(self, number: str) -> list[str]:
        return [d["Body"] for d in self.sms() if d["To"] == number]

    def calls(self) -> list[dict[str, Any]]:
        return [r.data for r in self.requests if r.method == "POST" and r.url == f"{API}/Calls.json"]


def twilio_error(status: int, code: int, message: str) -> Response:
    return Response(
        status, json.dumps({"code": code, "message": message, "status": status, "more_info": f"https://www.twilio.com/docs/errors/{code}"})
    )


# -- an SMTP server on the loopback -----------------------------------------------------------------


class _SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server: SmtpServer = self.server  # type: ignore[assignment]
        self.reply("220 localhost test SMTP")
        sender, recipients, lines, in_data = "", [], [], False
        while raw := self.rfile.readline():
            if in_data:
                if raw in (b".\r\n", b".\n"):
                    server.received.append((sender, recipients, email.message_from_bytes(b"".join(lines), policy=email.policy.default)))
                    sender, recipients, lines, in_data = "", [], [], False
                    self.reply("250 queued")
                else:
                    lines.append(raw[1:] if raw.startswith(b"..") else raw)
                continue
            command = raw.decode("ascii", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-localhost")
                self.reply("250 8BITMIME")
            elif verb == "HELO" or verb in ("RSET", "NOOP"):
                self.reply("250 ok")
            elif verb == "MAIL":
                sender = command.split(":", 1)[1].strip(" <>").split(">")[0]
                self.reply("250 ok")
            elif verb == "RCPT":
                if server.refuse_recipients:
                    self.reply("550 no such user")
                else:
                    recipients.append(command.split(":", 1)[1].strip(" <>"))
                    self.reply("250 ok")
            elif verb == "DATA":
                in_data = True
                self.reply("354 go ahead")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.received: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.refuse_recipients = False

    @property
    def port(self) -> int:
        return self.server_address[1]


def message_count(session, **filters: Any) -> int:
    from sqlalchemy import func, select

    from notify.models import OutboundMessage

    query = select(func.count()).select_from(OutboundMessage)
    for name, value in filters.items():
        query = query.where(getattr(OutboundMessage, name) == value)
    return session.scalar(query)
