"""``flask callbacks list|deadline|defer|done``: the callback promise as IT and department heads see it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from callbacks import messages, operations
from callbacks.models import CallbackCall, CallbackPolicy
from callbacks.queries import open_requests, senior_name
from calllog.models import CallbackRequest, CallbackStatus
from core import clock, db
from core.actor import Actor
from directory.queries import gp_name
from notify.models import OutboundMessage
from ringing.models import CallPolicy
from ringing.operations import RingingError, set_defer_minutes
from rota.models import Specialty
from rota.queries import find_specialty

callbacks_cli = AppGroup("callbacks", help="Callback requests: open, overdue, deadlines.")


def _minutes(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _state(request: CallbackRequest, now, tz: ZoneInfo, session) -> str:
    if request.status is CallbackStatus.DONE and request.done_at is not None:
        who = senior_name(session, request.done_by_senior_id) if request.done_by_senior_id else "by hand"
        late = " (LATE)" if request.deadline_at and request.done_at > request.deadline_at else ""
        return f"done {request.done_at.astimezone(tz):%d/%m %H:%M} by {who} via {request.done_via}{late}"
    if request.deadline_at is None:
        return "new: SMS not sent yet"
    left = (request.deadline_at - now).total_seconds()
    return f"OVERDUE by {_minutes(left)}" if left < 0 else f"due in {_minutes(left)}"


@callbacks_cli.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also the requests already called back (latest 50).")
@click.option("--overdue", is_flag=True, help="Only open requests past their deadline.")
@click.option("--zone", default="Europe/Paris", show_default=True)
def list_command(show_all: bool, overdue: bool, zone: str) -> None:
    """Open callback requests, oldest first, with their deadline, who was told and what was tried."""
    session = db.session()
    tz = ZoneInfo(zone)
    now = clock.now()
    if show_all:
        requests = list(reversed(session.scalars(select(CallbackRequest).order_by(CallbackRequest.requested_at.desc()).limit(50)).all()))
    else:
        requests = list(open_requests(session))
    if overdue:
        requests = [r for r in requests if r.status is CallbackStatus.OPEN and r.deadline_at is not None and r.deadline_at < now]
    if not requests:
        click.echo("no overdue callback request" if overdue else "no open callback request")
        return
    names = dict(session.execute(select(Specialty.id, Specialty.name_fr)).all())
    for request in requests:
        deadline = f"{request.deadline_at.astimezone(tz):%H:%M}" if request.deadline_at else "-"
        click.echo(
            f"#{request.id} code {request.code or '-':<5} {names.get(request.specialty_id, '(no specialty)'):<14} "
            f"requested {request.requested_at.astimezone(tz):%Y-%m-%d %H:%M}  deadline {deadline}  {_state(request, now, tz, session)}"
        )
        message = f"message {request.recording_seconds or 0}s" if request.recording_url else "no message"
        click.echo(f"    from {messages.gp_label(gp_name(session, request.gp_id), request.caller_e164, 'en')}, {message}")
        told = session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.callback_request_id == request.id, OutboundMessage.purpose != "callback_call")
            .order_by(OutboundMessage.id)
        ).all()
        if told:
            sent = [
                f"{senior_name(session, m.senior_id) if m.senior_id else m.recipient} ({m.purpose.removeprefix('callback_')}: {m.status})"
                for m in told
            ]
            click.echo("    SMS: " + ", ".join(sent))
        if request.acknowledged_at:
            who = senior_name(session, request.acknowledged_by_senior_id)
            click.echo(f"    acknowledged by {who} at {request.acknowledged_at.astimezone(tz):%H:%M}")
        if request.escalated_at:
            click.echo(f"    head alerted at {request.escalated_at.astimezone(tz):%H:%M}")
        for call in session.scalars(select(CallbackCall).where(CallbackCall.callback_request_id == request.id).order_by(CallbackCall.id)):
            outcome = "GP took the call" if call.bridged_at else f"senior {call.senior_status}, GP {call.gp_status or 'not rung'}"
            click.echo(f"    call {call.requested_at.astimezone(tz):%H:%M} by {senior_name(session, call.senior_id)}: {outcome}")


@callbacks_cli.command("deadline")
@click.argument("specialty")
@click.argument("minutes", required=False, type=int)
@click.option("--default", "use_default", is_flag=True, help="Back to CALLBACK_DEADLINE_MINUTES.")
def deadline_command(specialty: str, minutes: int | None, use_default: bool) -> None:
    """Show or set the minutes SPECIALTY has to call a GP back (new requests only)."""
    session = db.session()
    found = find_specialty(session, specialty)
    if found is None:
        raise click.ClickException(f"no specialty {specialty!r}")
    default = current_app.config["SETTINGS"].callbacks.deadline_minutes
    if minutes is None and not use_default:
        policy = session.get(CallbackPolicy, found.id)
        click.echo(f"{found.name_fr}: {policy.deadline_minutes if policy else default} min" + ("" if policy else " (default)"))
        return
    try:
        operations.set_deadline(session, found.id, None if use_default else minutes, clock.now())
    except operations.CallbackError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"{found.name_fr}: {default if use_default else minutes} min for new callback requests")


@callbacks_cli.command("defer")
@click.argument("specialty")
@click.argument("minutes", required=False, type=int)
@click.option("--default", "use_default", is_flag=True, help="Back to CALLBACK_DEFER_MINUTES.")
def defer_command(specialty: str, minutes: int | None, use_default: bool) -> None:
    """Show or set the minutes within which a senior of SPECIALTY who presses 3 promises to call back."""
    session = db.session()
    found = find_specialty(session, specialty)
    if found is None:
        raise click.ClickException(f"no specialty {specialty!r}")
    default = current_app.config["SETTINGS"].callbacks.defer_minutes
    if minutes is None and not use_default:
        policy = session.get(CallPolicy, found.id)
        own = policy.defer_minutes if policy is not None else None
        click.echo(f"{found.name_fr}: {own or default} min" + ("" if own else " (default)"))
        return
    try:
        actor = Actor.command(specialty, "--default" if use_default else minutes)
        set_defer_minutes(session, actor, found.id, None if use_default else minutes, clock.now())
    except RingingError as exc:
        raise click.ClickException(exc.message) from None
    session.commit()
    click.echo(f"{found.name_fr}: a deferred call is called back within {default if use_default else minutes} min")


@callbacks_cli.command("done")
@click.argument("request_id", type=int)
def done_command(request_id: int) -> None:
    """Close a request by hand (the GP was reached another way)."""
    session = db.session()
    request = session.get(CallbackRequest, request_id)
    if request is None:
        raise click.ClickException(f"no callback request #{request_id}")
    try:
        operations.close_by_hand(session, request, clock.now())
    except operations.CallbackError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"callback request #{request_id} closed")
