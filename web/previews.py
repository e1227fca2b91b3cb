"""A rota change in two steps on the web: its effect first, then the save, written once.

The first POST of a form (or a button: approve, delete) runs the operation in :func:`rota.preview.preview`
— nothing kept — and shows what it changes: places that change hands, slots that lose their primary or
their backup, new double bookings, in the department's local time. The page carries the same fields back
(hidden), the CSRF token and the *version* of the coverage it was computed from. The confirming POST is
saved only if the coverage is still that version; otherwise the person sees the new effect first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import Form as WTForm

from core import db
from core.actor import Actor
from core.errors import OperationError
from rota import preview as pv
from rota.models import Specialty
from web.editing import CONFIRMABLE, actor, show_on_form, show_refusal, submit
from web.formatting import local_datetime
from web.i18n import _, language

T = TypeVar("T")
VERSION = "preview_version"
STEP = "step"  # "confirm" saves, "edit" goes back to the form with what was typed
SKIPPED = {"csrf_token", VERSION, STEP}


def confirming() -> bool:
    return request.method == "POST" and request.form.get(STEP) == "confirm" and bool(request.form.get(VERSION))


def editing_again() -> bool:
    return request.method == "POST" and request.form.get(STEP) == "edit"


def effect_lines(found: pv.Preview, zone: ZoneInfo) -> dict[str, list[str]]:
    """The preview in sentences of the reader's language, local times, harm first."""
    session = db.session()
    names = pv.names_of(session, found)
    specialties = {s.id: s.name(language()) for s in session.scalars(select(Specialty).where(Specialty.id.in_(found.specialty_ids or [0])))}

    def who(ids) -> str:
        return ", ".join(names.get(i, f"#{i}") for i in ids)

    def when(change) -> str:
        return f"{local_datetime(change.starts_at, zone)} → {local_datetime(change.ends_at, zone)}"

    harm, other = [], []
    for change in found.changes:
        specialty = specialties.get(change.specialty_id, "")
        primary = change.layer.value == "primary"
        if change.lost:
            text = (
                _("no primary any more (was {names})", names=who(change.before))
                if primary
                else _("no backup any more (was {names})", names=who(change.before))
            )
            harm.append(f"{specialty} · {when(change)} · {text}")
        else:
            layer = _("primary") if primary else _("backup")
            before = who(change.before) or _("nobody")
            other.append(f"{specialty} · {when(change)} · {layer} : {before} → {who(change.after)}")
    doubles = []
    for conflict in found.new_conflicts:
        span = f"{local_datetime(conflict.starts_at, zone)} → {local_datetime(conflict.ends_at, zone)}"
        if conflict.kind == "two_specialties":
            text = _("{name} would be on duty for two specialties at once", name=names.get(conflict.senior_id, conflict.senior_id))
            doubles.append(f"{specialties.get(conflict.specialty_id, '')} · {span} · {text}")
        else:  # someone stands in, or the place is lost (said above): information, not harm
            text = _("{name} would be on leave but scheduled", name=names.get(conflict.senior_id, conflict.senior_id))
            other.append(f"{specialties.get(conflict.specialty_id, '')} · {span} · {text}")
    return {"harm": harm, "doubles": doubles, "other": other}


def posted_fields() -> list[tuple[str, str]]:
    return [(key, value) for key, values in request.form.lists() if key not in SKIPPED for value in values]


def show(
    found: pv.Preview,
    *,
    title: str,
    summary: list[tuple[str, str]],
    zone: ZoneInfo,
    back: str,
    button: str,
    moved: bool = False,
    status: int = 200,
    fields: list[tuple[str, str]] | None = None,
    danger: bool = False,
    form_behind: bool = True,
) -> tuple[str, int]:
    return (
        render_template(
            "rota/preview.html",
            title=title,
            summary=summary,
            effect=effect_lines(found, zone),
            found=found,
            zone=zone,
            fields=posted_fields() if fields is None else fields,
            version=found.version,
            action=request.path,
            back=back,
            button=button,
            moved=moved,
            danger=danger,
            form_behind=form_behind,
        ),
        status,
    )


def run_preview(
    form: WTForm | None,
    change: Callable[[Session, Actor], T],
    scope: tuple[list[int], datetime, datetime],
    *,
    zone: ZoneInfo,
    fields: Mapping[str, str] | None = None,
) -> tuple[pv.Preview | None, OperationError | None]:
    """The change's effect, or the refusal (shown on ``form`` when given). The session is left clean."""
    session = db.session()
    who = actor()
    specialty_ids, start, end = scope
    try:
        found = pv.preview(session, lambda s: change(s, who), specialty_ids, start, end)
    except OperationError as exc:
        session.rollback()
        if form is not None:
            show_on_form(form, exc, fields, zone)
            if exc.code in CONFIRMABLE and "confirm" in form._fields:
                form.needs_confirm = True
        return None, exc
    session.rollback()  # the preview's reads end here: nothing of it stays, no lock is kept
    return found, None


def still_current(scope: tuple[list[int], datetime, datetime]) -> bool:
    """The confirmation's version is the coverage as it is now."""
    specialty_ids, start, end = scope
    return request.form.get(VERSION) == pv.state_version(db.session(), specialty_ids, start, end)


def two_steps(
    form: WTForm,
    change: Callable[[Session, Actor], T],
    scope: tuple[list[int], datetime, datetime],
    done: Callable[[T], tuple[str, str]],
    *,
    title: str,
    summary: Callable[[], list[tuple[str, str]]],
    zone: ZoneInfo,
    back: str,
    fields: Mapping[str, str] | None = None,
    current: Callable[[Session], dict[str, Any] | None] | None = None,
) -> tuple[Response | str | None, int]:
    """For a valid form POST: the preview page, or (confirmed, rota unchanged since) the change saved by
    :func:`web.editing.submit` (``done`` says what then). ``(None, status)`` means "show the form again"
    (a refusal is on it: someone else's change gives 409 and their fingerprint, as on saving)."""
    if editing_again():
        return None, 200
    if confirming() and still_current(scope):
        return submit(form, change, done=done, fields=fields, current=current, back=back, zone=zone)
    moved = confirming()
    found, refusal = run_preview(None, change, scope, zone=zone)
    if found is None:
        assert refusal is not None
        return show_refusal(form, refusal, fields=fields, current=current, back=back, zone=zone)
    return show(found, title=title, summary=summary(), zone=zone, back=back, button=_("Confirm and save"), moved=moved)
