"""Serving recorded prompts to Twilio (``<Play>`` fetches them with a GET, unsigned and without a
session): the bytes from the database, an ETag (the SHA-256), ``Cache-Control: public`` so Twilio keeps a
copy, and ``304 Not Modified`` when Twilio asks again with ``If-None-Match``. Nothing here is secret: it
is what every caller hears."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from sqlalchemy import select

from core import db
from voice.catalogue import SERVED_AT
from voice.models import EXTENSIONS, PromptRecording

blueprint = Blueprint("voice", __name__)
# A recording's URL changes with its content (?v=), so a long life is safe; a day keeps it bounded.
CACHE_CONTROL = "public, max-age=86400"


@blueprint.get(f"{SERVED_AT}/<language>/<key>.<extension>")
def recording(language: str, key: str, extension: str) -> Response:
    """One recorded prompt, as Twilio's ``<Play>`` fetches it."""
    db.reads_only()
    found = db.session().scalars(select(PromptRecording).where(PromptRecording.key == key, PromptRecording.language == language)).first()
    if found is None or EXTENSIONS.get(found.content_type) != extension:
        abort(404)
    etag = found.sha256
    unchanged = etag in request.if_none_match  # Twilio asking again with the ETag of its copy
    response = Response(status=304) if unchanged else Response(found.data, mimetype=found.content_type)
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.last_modified = found.uploaded_at
    return response
