"""``flask callbacks list|deadline|defer|done``: the callback promise as IT and department heads see it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click
from flask import current_app
from sqlalchemy import select

from callbacks import messages, operations
from callbacks.models import CallbackCall, CallbackPolicy
from callbacks.queries import open_requests, senior_name
from calllog.models import CallbackRequest, CallbackStatus
from core import clock, db
from core.actor import Actor
from core.cli import CommandGroup, cli_words, refusal
from core.words import Words
from directory.queries import gp_name
from notify.models import OutboundMessage
from ringing.models import CallPolicy
from ringing.operations import RingingError, set_defer_minutes
from rota.models import Specialty
from rota.queries import find_specialty

callbacks_cli = CommandGroup("callbacks", help="Callback requests: open, overdue, deadlines.")


def _minutes(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _state(request: CallbackRequest, now, tz: ZoneInfo, session, words: Words) -> str:
    if request.status is CallbackStatus.DONE and request.done_at is not None:
        at = request.done_at.astimezone(tz).strftime("%d/%m %H:%M")
        late = request.deadline_at is not None and request.done_at > request.deadline_at
        if request.done_by_senior_id:
            who = senior_name(session, request.done_by_senior_id)
            done = words._("done {at} by {name} via {via}", at=at, name=who, via=request.done_via)
        else:
            done = words._("done {at} by hand via {via}", at=at, via=request.done_via)
        return words._("{done} (LATE)", done=done) if late else done
    if request.deadline_at is None:
        return words._("new: SMS not sent yet")
    left = (request.deadline_at - now).total_seconds()
    return words._("OVERDUE by {time}", time=_minutes(left)) if left < 0 else words._("due in {time}", time=_minutes(left))


@callbacks_cli.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also the requests already called back (latest 50).")
@click.option("--overdue", is_flag=True, help="Only open requests past their deadline.")
@click.option("--zone", default="Europe/Paris", show_default=True)
def list_command(show_all: bool, overdue: bool, zone: str) -> None:
    """Open callback requests, oldest first, with their deadline, who was told and what was tried."""
    session = db.session()
    words = cli_words()
    tz = ZoneInfo(zone)
    now = clock.now()
    if show_all:
        requests = list(reversed(session.scalars(select(CallbackRequest).order_by(CallbackRequest.requested_at.desc()).limit(50)).all()))
    else:
        requests = list(open_requests(session))
    if overdue:
        requests = [r for r in requests if r.status is CallbackStatus.OPEN and r.deadline_at is not None and r.deadline_at < now]
    if not requests:
        click.echo(words._("no overdue callback request") if overdue else words._("no open callback request"))
        return
    names = {s.id: s.name(words.language) for s in session.scalars(select(Specialty))}
    for request in requests:
        deadline = f"{request.deadline_at.astimezone(tz):%H:%M}" if request.deadline_at else "-"
        specialty = names.get(request.specialty_id) or words._("(no specialty)")
        click.echo(
            words._(
                "#{id} code {code} {specialty} requested {requested}  deadline {deadline}  {state}",
                id=request.id,
                code=f"{request.code or '-':<5}",
                specialty=f"{specialty:<14}",
                requested=f"{request.requested_at.astimezone(tz):%Y-%m-%d %H:%M}",
                deadline=deadline,
                state=_state(request, now, tz, session, words),
            )
        )
        gp = messages.gp_label(gp_name(session, request.gp_id), request.caller_e164, words.language)
        if request.recording_url:
            click.echo(words._("    from {gp}, message {seconds} s", gp=gp, seconds=request.recording_seconds or 0))
        else:
            click.echo(words._("    from {gp}, no message", gp=gp))
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
            click.echo(words._("    SMS: {sent}", sent=", ".join(sent)))
        if request.acknowledged_at:
            who = senior_name(session, request.acknowledged_by_senior_id)
            click.echo(words._("    acknowledged by {name} at {time}", name=who, time=f"{request.acknowledged_at.astimezone(tz):%H:%M}"))
        if request.escalated_at:
            click.echo(words._("    head alerted at {time}", time=f"{request.escalated_at.astimezone(tz):%H:%M}"))
        for call in session.scalars(select(CallbackCall).where(CallbackCall.callback_request_id == request.id).order_by(CallbackCall.id)):
            if call.bridged_at:
                outcome = words._("GP took the call")
            elif call.gp_status:
                outcome = words._("senior {senior}, GP {gp}", senior=call.senior_status, gp=call.gp_status)
            else:
                outcome = words._("senior {senior}, GP not rung", senior=call.senior_status)
            at = f"{call.requested_at.astimezone(tz):%H:%M}"
            click.echo(words._("    call {time} by {name}: {outcome}", time=at, name=senior_name(session, call.senior_id), outcome=outcome))


@callbacks_cli.command("deadline")
@click.argument("specialty")
@click.argument("minutes", required=False, type=int)
@click.option("--default", "use_default", is_flag=True, help="Back to CALLBACK_DEADLINE_MINUTES.")
def deadline_command(specialty: str, minutes: int | None, use_default: bool) -> None:
    """Show or set the minutes SPECIALTY has to call a GP back (new requests only)."""
    session = db.session()
    words = cli_words()
    found = find_specialty(session, specialty)
    if found is None:
        raise click.ClickException(words._("no specialty '{name}'", name=specialty))
    name = found.name(words.language)
    default = current_app.config["SETTINGS"].callbacks.deadline_minutes
    if minutes is None and not use_default:
        policy = session.get(CallbackPolicy, found.id)
        if policy:
            click.echo(words._("{specialty}: {minutes} min", specialty=name, minutes=policy.deadline_minutes))
        else:
            click.echo(words._("{specialty}: {minutes} min (default)", specialty=name, minutes=default))
        return
    try:
        operations.set_deadline(session, found.id, None if use_default else minutes, clock.now())
    except operations.CallbackError as exc:
        raise refusal(exc, words) from None
    session.commit()
    chosen = default if use_default else minutes
    click.echo(words._("{specialty}: {minutes} min for new callback requests", specialty=name, minutes=chosen))


@callbacks_cli.command("defer")
@click.argument("specialty")
@click.argument("minutes", required=False, type=int)
@click.option("--default", "use_default", is_flag=True, help="Back to CALLBACK_DEFER_MINUTES.")
def defer_command(specialty: str, minutes: int | None, use_default: bool) -> None:
    """Show or set the minutes within which a senior of SPECIALTY who presses 3 promises to call back."""
    session, words = db.session(), cli_words()
    found = find_specialty(session, specialty)
    if found is None:
        raise click.ClickException(words._("no specialty '{name}'", name=specialty))
    name = found.name(words.language)
    default = current_app.config["SETTINGS"].callbacks.defer_minutes
    if minutes is None and not use_default:
        policy = session.get(CallPolicy, found.id)
        own = policy.defer_minutes if policy is not None else None
        if own:
            click.echo(words._("{specialty}: {minutes} min", specialty=name, minutes=own))
        else:
            click.echo(words._("{specialty}: {minutes} min (default)", specialty=name, minutes=default))
        return
    try:
        actor = Actor.command(specialty, "--default" if use_default else minutes)
        set_defer_minutes(session, actor, found.id, None if use_default else minutes, clock.now())
    except RingingError as exc:
        session.rollback()
        raise refusal(exc, words) from None
    session.commit()
    chosen = default if use_default else minutes
    click.echo(words._("{specialty}: a deferred call is called back within {minutes} min", specialty=name, minutes=chosen))


@callbacks_cli.command("done")
@click.argument("request_id", type=int)
def done_command(request_id: int) -> None:
    """Close a request by hand (the GP was reached another way)."""
    session = db.session()
    request = session.get(CallbackRequest, request_id)
    if request is None:
        raise click.ClickException(cli_words()._("no callback request #{id}", id=request_id))
    try:
        operations.mark_done(session, Actor.command(request_id), request_id, clock.now())
    except operations.CallbackRequestError as exc:
        raise refusal(exc) from None
    session.commit()
    click.echo(cli_words()._("callback request #{id} closed", id=request_id))
