"""The live board for managers and the switchboard: calls in progress (which senior is ringing),
today's answer rate and time to connect, open and overdue callback requests, gaps of the next 24 hours.

The page is complete without JavaScript (it shows the board as it was when loaded). A few lines of the
app's own script (``live-board.js``, no CDN) then follow ``/board/live/events``, a stream of server-sent
events: the stream reads the database every BOARD_POLL_SECONDS in a short session of its own (no
connection is held between two reads), sends the board again only when it changed, and ends after
BOARD_STREAM_SECONDS with a ``bye`` event, after which the browser opens the next one — so a wall screen
left on all week never holds a worker for good. One read per process and per scope serves every open
board (:class:`SharedBoards`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, g, render_template, url_for
from werkzeug.wrappers import Response

from core import clock, db
from core.words import Words, in_language
from reports.definitions import LAYER_LABELS
from reports.live import LiveBoard, live_board
from web.i18n import language
from web.security import allowed, requires, visible_departments

blueprint = Blueprint("live", __name__)
FRAGMENT = "board/_live.html"
HEARTBEAT_SECONDS = 15  # a comment line now and then, so proxies do not close a quiet stream


class SharedBoards:
    """The last board computed for each scope, reused for ``ttl`` seconds by every stream of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._boards: dict[tuple, tuple[float, LiveBoard]] = {}

    def get(self, app: Flask, visible: frozenset[int] | None, ttl: float) -> LiveBoard:
        key = (id(app), visible)
        with self._lock:
            found = self._boards.get(key)
            if found is not None and time.monotonic() - found[0] < ttl:
                return found[1]
            # Computed under the lock: ten open boards make one read, not ten at once.
            with app.app_context():
                database = db.database()
                with database.read_sessions() as session:
                    board = live_board(session, clock.now(), visible)
                    session.rollback()  # ends the read transaction; the connection goes back to the pool
            self._boards[key] = (time.monotonic(), board)
            return board


SHARED = SharedBoards()


def render_board(board: LiveBoard, words: Words, zone: ZoneInfo, calls_url: str | None) -> str:
    """The board's HTML (the page's and each event's), in ``words``' language, without a request."""
    template = current_app.jinja_env.get_template(FRAGMENT)
    return template.render(
        board=board,
        _=words._,
        ngettext=words.ngettext,
        percent=lambda v: "—" if v is None else words.percent(v, 0),
        seconds=lambda v: "—" if v is None else words.seconds(v, 0),
        layer=lambda v: words._(LAYER_LABELS.get(v, v)) if v else "",
        hhmm=lambda at: at.astimezone(zone).strftime("%H:%M"),
        hhmmss=lambda at: at.astimezone(zone).strftime("%H:%M:%S"),
        elapsed=lambda at: max(0, int((board.at - at).total_seconds())),
        calls_url=calls_url,  # the call log's address (None: not theirs to open); no url_for outside a request
    )


def _context() -> tuple[frozenset[int] | None, Words, ZoneInfo, str | None]:
    visible = visible_departments("board.live")
    zone = ZoneInfo(current_app.config["SETTINGS"].scheduler.timezone)
    return visible, in_language(language()), zone, url_for("web.calls.index") if allowed("calls.view") else None


@blueprint.get("/board/live")
@requires("board.live")
def page():
    """The live board: complete as loaded, then kept up to date by the event stream."""
    visible, words, zone, calls_url = _context()
    settings = current_app.config["SETTINGS"].web
    board = SHARED.get(current_app._get_current_object(), visible, settings.board_poll_seconds)
    return render_template("board/live.html", board_html=render_board(board, words, zone, calls_url), board=board)


def _event(name: str, data: str) -> str:
    return f"event: {name}\n" + "".join(f"data: {line}\n" for line in (data.splitlines() or [""])) + "\n"


def stream(app: Flask, visible, words: Words, zone: ZoneInfo, calls_url: bool, poll: float, lasts: float) -> Iterator[str]:
    """The events of one stream: the board whenever it changes, heartbeats, then ``bye``."""
    ends = time.monotonic() + lasts
    sent, quiet_since = None, time.monotonic()
    yield "retry: 3000\n\n"
    while True:
        board = SHARED.get(app, visible, poll)
        if board.fingerprint() != sent:
            with app.app_context():
                html = render_board(board, words, zone, calls_url)
            sent, quiet_since = board.fingerprint(), time.monotonic()
            yield _event("board", html)
        elif time.monotonic() - quiet_since >= HEARTBEAT_SECONDS:
            quiet_since = time.monotonic()
            yield ": still here\n\n"
        if time.monotonic() + poll > ends:
            yield _event("bye", "")
            return
        time.sleep(poll)


@blueprint.get("/board/live/events")
@requires("board.live")
def events():
    """Server-sent events of the live board (``text/event-stream``), for BOARD_STREAM_SECONDS."""
    visible, words, zone, calls_url = _context()
    settings = current_app.config["SETTINGS"].web
    app = current_app._get_current_object()
    # Everything the stream needs is read: the request's own session goes back to the pool now, not
    # when the stream ends.
    db.session().close()
    g.pop("db_session", None)
    body = stream(app, visible, words, zone, calls_url, settings.board_poll_seconds, settings.board_stream_seconds)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return Response(body, 200, headers=headers, mimetype="text/event-stream")
