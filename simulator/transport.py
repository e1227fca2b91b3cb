"""How the simulated Twilio reaches the app: in-process through Flask's test client, or over HTTP.

The simulator always reasons in the *public* URLs Twilio would use (and signs those); a transport
only maps such a URL onto where the app actually listens. Signing lives in the simulator, not here,
so both transports send byte-for-byte what Twilio would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Protocol
from urllib.parse import urlencode, urlsplit

if TYPE_CHECKING:
    from collections.abc import Mapping

    from flask import Flask

USER_AGENT = "TwilioProxy/1.1"


class HttpAnswer(NamedTuple):
    """(status_code, content_type, body_text) of the app's answer; its bytes and headers for media."""

    status: int
    content_type: str
    body: str
    content: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


class Transport(Protocol):
    def request(
        self,
        method: str,
        public_url: str,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        public_base_url: str,
    ) -> HttpAnswer:
        """Send `params` (form body for POST, query for GET) to the app behind `public_url`."""
        ...


def local_target(public_url: str, public_base_url: str) -> str:
    """The path+query of `public_url` as the app sees it: scheme, host and the base URL's path
    prefix removed (the app is mounted at the root behind the proxy)."""
    parts = urlsplit(public_url)
    path = parts.path or "/"
    prefix = urlsplit(public_base_url).path.rstrip("/")
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        path = path[len(prefix) :] or "/"
    return path + (f"?{parts.query}" if parts.query else "")


def _with_query(target: str, params: Mapping[str, str]) -> str:
    if not params:
        return target
    return target + ("&" if "?" in target else "?") + urlencode(list(params.items()))


class FlaskTransport:
    """Posts through ``app.test_client()``; the request's host is the public one, as behind a proxy."""

    def __init__(self, app: Flask):
        self.app = app
        self.client = app.test_client()

    def request(
        self,
        method: str,
        public_url: str,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        public_base_url: str,
    ) -> HttpAnswer:
        parts = urlsplit(public_url)
        target = local_target(public_url, public_base_url)
        base = f"{parts.scheme}://{parts.netloc}"
        if method == "GET":
            response = self.client.get(_with_query(target, params), headers=dict(headers), base_url=base)
        else:
            response = self.client.post(target, data=dict(params), headers=dict(headers), base_url=base)
        data = response.get_data()  # audio for a <Play>: bytes, not text
        return HttpAnswer(
            response.status_code, response.content_type or "", data.decode("utf-8", "replace"), data, tuple(response.headers.items())
        )


class HttpTransport:
    """Same over real HTTP, for a server started with ``make run``."""

    def __init__(self, base_url: str, timeout: float = 15.0):
        import requests  # only needed for this transport

        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.timeout = timeout  # Twilio's default webhook timeout

    def request(
        self,
        method: str,
        public_url: str,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        public_base_url: str,
    ) -> HttpAnswer:
        import requests

        url = self.base_url + local_target(public_url, public_base_url)
        try:
            if method == "GET":
                response = self.session.get(_with_query(url, params), headers=dict(headers), timeout=self.timeout, allow_redirects=False)
            else:
                response = self.session.post(url, data=dict(params), headers=dict(headers), timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            # What Twilio sees when it cannot reach the app: a retrieval failure (11200).
            return HttpAnswer(599, "", f"{type(exc).__name__}: {exc}")
        return HttpAnswer(
            response.status_code, response.headers.get("Content-Type", ""), response.text, response.content, tuple(response.headers.items())
        )
