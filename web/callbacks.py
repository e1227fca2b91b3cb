"""Callback requests on the web: open (the next to call back first), overdue, done; who took each one;
the GP's recorded message, played through the app; marking a request done by hand.

Administrators and managers see every request, heads those of their departments' specialties, seniors
those of the departments they belong to (the access matrix's ``callbacks.view``). The GP's message is
health data: the browser gets it from Recours, which fetches it from Twilio with the account's
credentials — never a Twilio URL — and it is not kept by the browser (no-store).
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, render_template, request, url_for
from werkzeug.wrappers import Response

from accounts.access import Target
from callbacks import operations
from callbacks.queries import STATES, count_open, requests_page, senior_names
from calllog.models import CallbackRequest, CallbackStatus
from core import clock, db
from notify.providers import SendError, current_notifier
from web import params
from web.calls import caller_label, department_of_specialty, gp_names, hotline_zone, visible_specialties
from web.editing import act, actor
from web.formatting import local_datetime
from web.forms import Form
from web.i18n import _, language
from web.security import allowed, requires

blueprint = Blueprint("callbacks", __name__)
log = logging.getLogger(__name__)
PAGE = 50


def request_target(request_id: int) -> Target:
    found = db.session().get(CallbackRequest, request_id)
    if found is None:
        abort(404)
    return department_of_specialty(found.specialty_id)


def _state() -> str:
    state = (request.args.get("state") or "open").strip()
    if state not in STATES:
        raise params.BadParameter(_("“{name}” must be one of the values offered in the list.", name="state"))
    return state


@blueprint.get("/callbacks")
@requires("callbacks.view")
def index():
    """Open requests (oldest first), or the overdue, done or all of them; by specialty."""
    session = db.session()
    state = _state()
    specialty_id = params.optional_id("specialty")
    page = params.page_number()
    now = clock.now()
    allowed_ids, specialties = visible_specialties("callbacks.view")
    if specialty_id is not None and allowed_ids is not None and specialty_id not in allowed_ids:
        specialty_id = -1  # someone else's specialty: nothing to show, and no hint that it exists
    rows, total = requests_page(
        session, state=state, now=now, specialty_ids=allowed_ids, specialty_id=specialty_id, limit=PAGE, offset=(page - 1) * PAGE
    )
    open_count, overdue_count = count_open(session, now, allowed_ids if specialty_id is None else frozenset([specialty_id]))
    names = gp_names(r.gp_id for r in rows)
    seniors = senior_names(session, [s for r in rows for s in (r.acknowledged_by_senior_id, r.done_by_senior_id)])
    specialty_names = {s.id: s.name(language()) for s in specialties}
    department_of = {s.id: s.department_id for s in specialties}
    shown_specialty = specialty_id if specialty_id and specialty_id > 0 else None
    return render_template(
        "callbacks/index.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, (total + PAGE - 1) // PAGE),
        state=state,
        states=[
            ("open", _("Open ({count})", count=open_count)),
            ("overdue", _("Overdue ({count})", count=overdue_count)),
            ("done", _("Done")),
            ("all", _("All")),
        ],
        specialties=specialties,
        specialty_id=shown_specialty,
        specialty_names=specialty_names,
        may_close=lambda r: (
            r.status is CallbackStatus.OPEN
            and allowed(
                "callbacks.close", Target.departments(*([department_of[r.specialty_id]] if r.specialty_id in department_of else []))
            )
        ),
        may_open_call=allowed("calls.view"),
        caller=lambda r: caller_label(r.gp_id, r.caller_e164, names),
        seniors=seniors,
        now=now,
        minutes_between=lambda a, b: int((b - a).total_seconds() // 60),
        zone=hotline_zone(),
        local_datetime=local_datetime,
        form=Form(),
        back=request.full_path.rstrip("?"),
    )


def _back() -> str:
    """Back to the list the button was pressed on (only a path of this page, never another site)."""
    wanted = request.form.get("next", "")
    return wanted if wanted.startswith("/callbacks") and "//" not in wanted else url_for(".index")


@blueprint.post("/callbacks/<int:request_id>/done")
@requires("callbacks.close", target=request_target)
def done(request_id: int) -> Response:
    """Mark a request done: the GP was called back (from another phone) or reached another way."""
    if not Form().validate_on_submit():
        abort(400)
    return act(
        lambda session, who: operations.mark_done(session, who, request_id, clock.now()),
        done=_("Callback request marked done."),
        back=_back(),
    )


@blueprint.get("/callbacks/<int:request_id>/recording")
@requires("callbacks.view", target=request_target)
def recording(request_id: int) -> Response:
    """The GP's message, streamed from Twilio through Recours (the browser never sees Twilio's URL)."""
    session = db.session()
    # Who listens is audited (committed before a byte is streamed), as any reading of the message.
    opened = operations.open_message(session, actor(), request_id)
    if opened is None:
        found = session.get(CallbackRequest, request_id)
        gone = found is not None and found.recording_deleted_at is not None
        message = _("The message was deleted at the end of its retention period.") if gone else _("This request has no recorded message.")
        return Response(render_template("web/error.html", title=_("No message to play"), message=message), 404)
    sid, seconds = opened
    session.commit()
    # Nothing more to read: the connection goes back to the pool before the audio is streamed.
    session.close()
    try:
        audio = current_notifier().fetch_recording(sid, seconds)
    except SendError as exc:
        log.warning("callback request #%d: the recording could not be fetched from Twilio: %s", request_id, exc)
        message = _("Twilio did not give the recording just now. Try again in a moment; the request itself is kept.")
        return Response(render_template("web/error.html", title=_("The message cannot be played"), message=message), 502)
    headers = {"Cache-Control": "no-store", "Content-Disposition": "inline", "X-Content-Type-Options": "nosniff"}
    if audio.length is not None:
        headers["Content-Length"] = str(audio.length)
    return Response(audio.chunks, 200, headers=headers, mimetype=audio.content_type)
