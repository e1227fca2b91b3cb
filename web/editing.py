"""Saving an edit form onto an existing row, with the concurrent-edit check and the audit entry."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import abort, flash, redirect
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from core import db
from rota.operations import RotaError
from web.auditing import log_change
from web.concurrency import CHANGED, DELETED, ChangedSinceOpened, fingerprint, lock_unchanged
from web.forms import EditForm
from web.i18n import _, translate

T = TypeVar("T")


def save_edit(
    form: EditForm,
    model: type[T],
    object_id: int,
    values_of: Callable[[T], dict[str, Any]],
    apply: Callable[[Session, T], None],
    *,
    kind: str,
    departments: Callable[[T], Iterable[int]],
    summary: Callable[[T], str],
    saved: Callable[[T], tuple[str, str]],
    back: str,
) -> tuple[Response | None, int]:
    """Apply a validated edit ``form`` to the row, unless someone else changed it since the form was opened.

    Returns the redirect to answer with, or ``None`` and the status to show the form again with, its
    errors set. ``saved`` gives the success message and where to go once the change is committed;
    ``departments`` and ``summary`` are read after the change, so the audit entry describes the result.
    """
    session = db.session()
    try:
        row = lock_unchanged(session, model, object_id, form.fingerprint.data, values_of)
        before = values_of(row)
        apply(session, row)
    except ChangedSinceOpened as exc:
        session.rollback()
        if exc.deleted:
            flash(_(DELETED), "error")
            return redirect(back), 200
        form.form_errors.append(_(CHANGED))
        # Taking their fingerprint lets the user save again on purpose, once they have seen their version.
        current = session.get(model, object_id)
        if current is None:
            abort(404)
        form.fingerprint.data = fingerprint(values_of(current))
        return None, 409
    except RotaError as exc:
        session.rollback()
        form.form_errors.append(translate(str(exc)))
        return None, 200
    log_change(session, f"{kind}.update", kind, row.id, departments(row), before, values_of(row), summary(row))
    session.commit()
    message, target = saved(row)
    flash(message, "success")
    return redirect(target), 200
