"""Checking that a request really comes from Twilio (``X-Twilio-Signature``)."""

from __future__ import annotations

from collections.abc import Iterable

from twilio.request_validator import RequestValidator, get_signature_algorithm
from werkzeug.datastructures import MultiDict


def public_url(public_base_url: str, path: str, query_string: bytes) -> str:
    """The URL exactly as Twilio requested it. Behind a TLS-terminating proxy the local URL says http
    while Twilio signed https, so it is rebuilt from the configured public base URL, never from Host."""
    url = public_base_url.rstrip("/") + path
    if query_string:
        url += "?" + query_string.decode("latin-1")
    return url


def is_signed_by_twilio(
    tokens: Iterable[str], url: str, form: MultiDict[str, str], signature: str | None, settings_header: str | None = None
) -> bool:
    """True when ``signature`` matches one of the configured Auth Tokens (two during a rotation).

    With no token configured nothing is accepted: an unconfigured instance must not take calls.
    """
    if not signature:
        return False
    algorithm = get_signature_algorithm(settings_header)
    return any(RequestValidator(token).validate(url, form, signature, algorithm) for token in tokens if token)
