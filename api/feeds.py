"""``/calendars/<secret>.ics``: a senior's or a specialty's duty for calendar apps.

The secret in the URL is the only credential (calendar apps cannot send a token); it is unguessable and
revocable (``flask ical revoke``). An unknown or revoked link is a plain 404, like any missing page.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort

from api.models import FeedKind
from api.tokens import find_feed
from core import clock, db
from rota.ical import FEED_DAYS_AFTER, FEED_DAYS_BEFORE, senior_calendar, specialty_calendar

blueprint = Blueprint("calendars", __name__, url_prefix="/calendars")


@blueprint.get("/<secret>.ics")
def feed(secret: str) -> Response:
    """The feed: duty from 30 days ago to 180 days ahead, computed from the rota at each request."""
    session = db.session()
    found = find_feed(session, secret)
    if found is None:
        abort(404)
    now = clock.now()
    start, end = now - timedelta(days=FEED_DAYS_BEFORE), now + timedelta(days=FEED_DAYS_AFTER)
    if found.kind is FeedKind.SENIOR:
        assert found.senior_id is not None
        body = senior_calendar(session, found.senior_id, start, end, now)
    else:
        assert found.specialty_id is not None
        body = specialty_calendar(session, found.specialty_id, start, end, now)
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Content-Disposition"] = 'inline; filename="recours.ics"'
    return response
