"""Swaps waiting for a head: approve (the swap becomes overrides) or reject. Built on
:mod:`rota.operations`, which also checks that the one deciding heads the specialty's department."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from accounts.access import Target
from audit import snapshot
from core import clock, db
from rota import operations
from rota.models import Specialty, SwapRequest, SwapStatus
from rota.operations import RotaError
from web.auditing import log_change
from web.formatting import local_datetime
from web.forms import Form
from web.i18n import N_, _, translate
from web.security import principal, requires, visible_departments

blueprint = Blueprint("swaps", __name__)


def swap_target(swap_id: int) -> Target:
    swap = db.session().get(SwapRequest, swap_id)
    if swap is None:
        abort(404)
    return Target.departments(db.session().get(Specialty, swap.specialty_id).department_id)


STATUS_LABELS = {
    "requested": N_("waiting for the other senior"),
    "accepted": N_("waiting for a head's approval"),
    "approved": N_("approved (in force)"),
    "declined": N_("declined by the other senior"),
    "rejected": N_("rejected by a head"),
    "cancelled": N_("cancelled"),
}


@blueprint.get("/swaps")
@requires("swap.decide")
def index():
    """Swaps of the user's departments: those waiting for approval first, then the last month's."""
    session = db.session()
    visible = visible_departments("swap.decide")
    query = select(SwapRequest, Specialty).join(Specialty, Specialty.id == SwapRequest.specialty_id)
    if visible is not None:
        query = query.where(Specialty.department_id.in_(list(visible)))
    since = clock.now() - timedelta(days=31)
    pending = session.execute(query.where(SwapRequest.status == SwapStatus.ACCEPTED).order_by(SwapRequest.starts_at)).all()
    recent = session.execute(
        query.where(SwapRequest.status != SwapStatus.ACCEPTED, SwapRequest.requested_at >= since).order_by(SwapRequest.requested_at.desc())
    ).all()
    from rota.models import Senior

    names = dict(session.execute(select(Senior.id, Senior.full_name)).all())
    return render_template(
        "swaps/index.html",
        pending=pending,
        recent=recent,
        names=names,
        form=Form(),
        local_datetime=local_datetime,
        zone=ZoneInfo("Europe/Paris"),
        status_labels=STATUS_LABELS,
    )


def _decide(swap_id: int, approve: bool):
    session = db.session()
    form = Form()
    if not form.validate_on_submit():
        abort(400)
    swap = session.get(SwapRequest, swap_id, with_for_update=True, populate_existing=True)
    before = snapshot(swap)
    department_id = session.get(Specialty, swap.specialty_id).department_id
    try:
        if approve:
            operations.approve_swap(session, swap, principal().senior_id, clock.now())
        else:
            operations.reject_swap(session, swap, principal().senior_id, clock.now())
    except RotaError as exc:
        session.rollback()
        flash(translate(str(exc)), "error")
        return redirect(url_for(".index"))
    log_change(session, "swap.approve" if approve else "swap.reject", "swap", swap.id, [department_id], before, snapshot(swap))
    session.commit()
    flash(_("Swap approved: it is in force.") if approve else _("Swap rejected."), "success")
    return redirect(url_for(".index"))


@blueprint.post("/swaps/<int:swap_id>/approve")
@requires("swap.decide", target=swap_target)
def approve(swap_id: int):
    """Approve a swap both seniors agreed on."""
    return _decide(swap_id, True)


@blueprint.post("/swaps/<int:swap_id>/reject")
@requires("swap.decide", target=swap_target)
def reject(swap_id: int):
    """Reject a swap both seniors agreed on."""
    return _decide(swap_id, False)
