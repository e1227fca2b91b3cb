"""The hotline's voice, for administrators: each fixed prompt in French and English, the text the
hotline says today, and the hospital's own recording of it if one was uploaded (listen, replace,
remove). Uploads go through :mod:`voice.operations`, which checks the file itself."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from core import db
from core.words import LANGUAGES
from ivr.prompts import RECORDABLE, description
from voice import operations
from voice.catalogue import path_of
from voice.models import PromptRecording
from web.editing import act, actor, message
from web.forms import Form
from web.i18n import _
from web.security import requires

blueprint = Blueprint("voice_pages", __name__)


def _page(status: int = 200, errors: dict | None = None):
    found = {(r.key, r.language): r for r in db.session().scalars(select(PromptRecording))}
    rows = [(key, [(language, description(key, language), found.get((key, language))) for language in LANGUAGES]) for key in RECORDABLE]
    return render_template(
        "voice/index.html", rows=rows, errors=errors or {}, path_of=path_of,
        max_kilobytes=operations.MAX_BYTES // 1000,
    ), status  # fmt: skip


@blueprint.get("/voice")
@requires("voice.manage")
def index():
    """Every prompt a recording may replace, with the recordings uploaded so far."""
    return _page()


def _forget() -> None:
    recorded = current_app.extensions.get("recours.recorded_voice")
    if recorded is not None:
        recorded.forget()


@blueprint.post("/voice/<key>/<language>")
@requires("voice.manage")
def upload(key: str, language: str):
    """Upload the hospital's recording of one prompt in one language (it replaces an earlier one)."""
    if not Form().validate_on_submit():  # the CSRF token
        abort(400)
    upload = request.files.get("recording")
    data = upload.read(operations.MAX_BYTES + 1) if upload is not None else b""
    session = db.session()
    try:
        operations.upload_prompt(session, actor(), key, language, data, filename=upload.filename if upload else "")
    except operations.VoiceError as exc:
        session.rollback()
        if exc.kind.value == "not_found":
            abort(404)
        return _page(200, {(key, language): message(exc)})
    session.commit()
    _forget()
    flash(_("Recording saved: the hotline plays it from now on."), "success")
    return redirect(url_for(".index", _anchor=f"prompt-{key}"))


@blueprint.post("/voice/<key>/<language>/delete")
@requires("voice.manage")
def remove(key: str, language: str):
    """Back to the synthetic voice for one prompt in one language."""
    if not Form().validate_on_submit():
        abort(400)
    response = act(
        lambda session, who: operations.remove_prompt(session, who, key, language),
        done=_("Recording removed: the synthetic voice says this prompt again."),
        back=url_for(".index"),
    )
    _forget()
    return response
