"""How a page changes something, written once: call the operation → commit once → tell the person.

A view parses its form and is authorised by :func:`web.security.requires`; then it hands the change, a
function of ``(session, actor)`` calling one operation, to :func:`submit` (a form shown again on refusal)
or :func:`act` (a button: the refusal is flashed). The operation validates, locks, writes and audits;
here a refusal is shown by its code: its message translated with its params, next to the field it names,
and "changed by someone else" / "deleted by someone else" as this app words them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import flash, redirect
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import Form as WTForm

from core import db
from core.actor import Actor, ActorKind
from core.concurrency import fingerprint
from core.errors import OperationError
from rota import rules
from web.formatting import local_datetime
from web.i18n import N_, _
from web.security import client_ip, signed_in_user

T = TypeVar("T")
UTC_ZONE = ZoneInfo("UTC")

CHANGED = N_("It was changed by someone else since you opened it. Their version is below; check it, then save again if yours should win.")
# For a page that cannot show the other person's version.
RELOAD = N_("It was changed by someone else since you opened it. Reload the page to see their version.")
DELETED = N_("It was deleted by someone else since you opened it.")
NOT_REMOVED = N_("Not removed: it was changed by someone else since you opened the page. Check it and try again.")
STALE = ("core.changed", "core.deleted")
# Findings of rota.rules a person may confirm (two primaries, a period long past): the form shows its
# "confirm" box with the message, and saving again with it ticked says they mean it.
CONFIRMABLE = frozenset(f"rota.{code}" for code, severity in rules.SEVERITY.items() if severity == rules.CONFIRM)


def actor() -> Actor:
    """The signed-in person, from the browser's address."""
    user = signed_in_user()
    if user is None:  # only pages marked @public get here, and none of them changes anything
        return Actor(ActorKind.USER, "anonymous", remote_addr=client_ip())
    return Actor.for_user(user, client_ip())


def _shown(value: Any, zone: ZoneInfo) -> Any:
    return local_datetime(value, zone) if isinstance(value, datetime) else value


def message(exc: OperationError, zone: ZoneInfo | None = None) -> str:
    """The refusal in the reader's language, found by its code (its template), params filled in (instants
    in ``zone``, the department's: UTC, said so, when the page has none)."""
    return _(exc.template, **{key: _shown(value, zone or UTC_ZONE) for key, value in exc.params.items()})


def show_on_form(form: WTForm, exc: OperationError, fields: Mapping[str, str] | None = None, zone: ZoneInfo | None = None) -> None:
    """Next to the field the error names (``fields`` maps an operation's names to the form's), else on top."""
    name = (fields or {}).get(exc.field or "", exc.field)
    field = form._fields.get(name) if name else None
    if field is not None and name not in ("csrf_token", "fingerprint"):
        field.errors = [*field.errors, message(exc, zone)]
    else:
        form.form_errors.append(message(exc, zone))


def current_values(model: type[T], object_id: int, values_of: Callable[[T], dict[str, Any]]) -> Callable[[Session], dict[str, Any] | None]:
    """For :func:`submit`: the values of the row as someone else left it."""

    def read(session: Session) -> dict[str, Any] | None:
        row = session.get(model, object_id)
        return None if row is None else values_of(row)

    return read


def show_refusal(
    form: WTForm,
    exc: OperationError,
    *,
    fields: Mapping[str, str] | None = None,
    current: Callable[[Session], dict[str, Any] | None] | None = None,
    back: str | None = None,
    changed: str = CHANGED,
    zone: ZoneInfo | None = None,
) -> tuple[Response | None, int]:
    """An operation's refusal on the form (see :func:`submit`); the session was rolled back."""
    if exc.code == "core.deleted" and back is not None:
        flash(_(DELETED), "error")
        return redirect(back), 200
    if exc.code == "core.changed":
        form.form_errors.append(_(changed))
        values = current(db.session()) if current is not None else None
        if values is not None and "fingerprint" in form._fields:
            form.fingerprint.data = fingerprint(values)
        return None, 409
    show_on_form(form, exc, fields, zone)
    if exc.code in CONFIRMABLE and "confirm" in form._fields:
        form.needs_confirm = True
    return None, 200


def submit(
    form: WTForm,
    change: Callable[[Session, Actor], T],
    *,
    done: Callable[[T], tuple[str, str]],
    fields: Mapping[str, str] | None = None,
    current: Callable[[Session], dict[str, Any] | None] | None = None,
    back: str | None = None,
    changed: str = CHANGED,
    zone: ZoneInfo | None = None,
) -> tuple[Response | None, int]:
    """Make the change and commit; ``done`` gives the success message and where to go then.

    On a refusal nothing is kept and ``(None, status)`` comes back for the view to show the form again
    with the errors set. Someone else's change since the form was opened gives 409 and, from
    ``current``, the fingerprint of their version: saving again then is a choice made knowingly (a page
    that cannot show their version says ``changed`` instead).
    A thing deleted meanwhile sends the person ``back``.
    """
    session = db.session()
    try:
        result = change(session, actor())
    except OperationError as exc:
        session.rollback()
        return show_refusal(form, exc, fields=fields, current=current, back=back, changed=changed, zone=zone)
    session.commit()
    text, target = done(result)
    flash(text, "success")
    return redirect(target), 200


def refusal_message(exc: OperationError | None) -> str:
    """A button's refusal as flashed: someone else's change or deletion in this app's words."""
    if exc is None:
        return _(NOT_REMOVED)
    return _(DELETED) if exc.code == "core.deleted" else _(NOT_REMOVED) if exc.code == "core.changed" else message(exc)


def act(change: Callable[[Session, Actor], T], *, done: str | Callable[[T], str], back: str) -> Response:
    """A button's change (remove, approve...): the outcome is flashed and the person goes ``back``."""
    session = db.session()
    try:
        result = change(session, actor())
    except OperationError as exc:
        session.rollback()
        flash(refusal_message(exc), "error")
        return redirect(back)
    session.commit()
    flash(done if isinstance(done, str) else done(result), "success")
    return redirect(back)
