"""Swaps waiting for a head: approve (the swap becomes overrides) or reject. Built on
:mod:`rota.operations`, which also checks that the one deciding heads the specialty's department."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from accounts.access import Target
from core import clock, db
from rota import operations
from rota import preview as pv
from rota.models import Senior, Specialty, SwapRequest, SwapStatus
from web import previews
from web.editing import act, refusal_message
from web.formatting import local_datetime
from web.forms import Form
from web.i18n import N_, _, language
from web.security import requires, visible_departments

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


def _decide(swap_id: int, decide) -> Response:
    if not Form().validate_on_submit():
        abort(400)
    approving = decide is operations.approve_swap
    return act(
        lambda session, who: decide(session, who, swap_id, who.senior_id),
        done=_("Swap approved: it is in force.") if approving else _("Swap rejected."),
        back=url_for(".index"),
    )


def swap_summary(swap: SwapRequest, zone: ZoneInfo) -> list[tuple[str, str]]:
    session = db.session()
    names = dict(session.execute(select(Senior.id, Senior.full_name).where(Senior.id.in_([swap.requester_id, swap.counterpart_id]))).all())
    lines = [
        (_("Specialty"), session.get(Specialty, swap.specialty_id).name(language())),
        (
            _("Gives their duty"),
            f"{names[swap.requester_id]} · {local_datetime(swap.starts_at, zone)} → {local_datetime(swap.ends_at, zone)}",
        ),
        (_("Takes it"), names[swap.counterpart_id]),
    ]
    if swap.return_starts_at is not None and swap.return_ends_at is not None:
        back = f"{local_datetime(swap.return_starts_at, zone)} → {local_datetime(swap.return_ends_at, zone)}"
        lines.append((_("In return"), back))
    return lines


def swap_scope(swap: SwapRequest) -> tuple[list[int], datetime, datetime]:
    return [swap.specialty_id], *pv.window((swap.starts_at, swap.ends_at), (swap.return_starts_at, swap.return_ends_at))


@blueprint.route("/swaps/<int:swap_id>/approve", methods=["GET", "POST"])
@requires("swap.decide", target=swap_target)
def approve(swap_id: int):
    """Approve a swap both seniors agreed on, in two steps: what it does to coverage (a backup it takes
    away, a gap, a double booking), then the confirmation, saved only if the rota is still as previewed."""
    swap = db.session().get(SwapRequest, swap_id)
    zone = ZoneInfo(db.session().get(Specialty, swap.specialty_id).department.timezone)
    scope = swap_scope(swap)
    back = url_for(".index")
    if request.method == "POST":
        if not Form().validate_on_submit():
            abort(400)
        if previews.confirming() and previews.still_current(scope):
            return _decide(swap_id, operations.approve_swap)
    found, refusal = previews.run_preview(
        None, lambda session, who: operations.approve_swap(session, who, swap_id, who.senior_id), scope, zone=zone
    )
    if found is None:
        flash(refusal_message(refusal), "error")
        return redirect(back)
    return previews.show(
        found,
        title=_("Approve this swap?"),
        summary=swap_summary(swap, zone),
        zone=zone,
        back=back,
        button=_("Approve"),
        moved=previews.confirming(),
        fields=[],
        form_behind=False,
    )


@blueprint.post("/swaps/<int:swap_id>/reject")
@requires("swap.decide", target=swap_target)
def reject(swap_id: int):
    """Reject a swap both seniors agreed on."""
    return _decide(swap_id, operations.reject_swap)
