"""``/calendars/<secret>.ics``: a senior's or a specialty's duty for calendar apps.

The secret in the URL is the only credential (calendar apps cannot send a token); it is unguessable and
revocable (``flask ical revoke``). An unknown or revoked link is a plain 404, like any missing page.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort

from api.models import FeedKind
from api.tokens import find_feed
from core import clock, db
from rota.ical import senior_calendar, specialty_calendar

blueprint = Blueprint("calendars", __name__, url_prefix="/calendars")


@blueprint.get("/<secret>.ics")
def feed(secret: str) -> Response:
    """The feed: duty from 30 days ago to 180 days ahead (:func:`rota.ical.feed_window`), computed from
    the rota at each request."""
    session = db.session()
    found = find_feed(session, secret)
    if found is None:
        abort(404)
    if found.kind is FeedKind.SENIOR:
        assert found.senior_id is not None
        return calendar_response(senior_calendar(session, found.senior_id, clock.now()))
    assert found.specialty_id is not None
    return calendar_response(specialty_calendar(session, found.specialty_id, clock.now()))


def calendar_response(body: bytes) -> Response:
    """Every feed is answered the same way (the senior's own link on the web app too)."""
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Content-Disposition"] = 'inline; filename="recours.ics"'
    return response
