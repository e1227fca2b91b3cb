"""``flask call simulate``: place a simulated call through the app and print what happened.

Registered by the app factory with ``app.cli.add_command(call_cli)``. By default the call goes
in-process through the test client; ``--url http://127.0.0.1:5000`` sends it over HTTP to a
server started with ``make run`` (signed for the configured public base URL, as Twilio would).
"""

from __future__ import annotations

import contextlib

import click
from flask import current_app
from flask.cli import AppGroup

from core import clock as app_clock
from core.phones import try_e164

from .actors import Accepts, AnswersWithoutKey, Busy, Callee, Declines, Fails, GPAction, Key, NoAnswer, Speech, Voicemail
from .engine import CALLBACK_MODES, Simulator
from .transport import FlaskTransport, HttpTransport

call_cli = AppGroup("call", help="Simulated phone calls through the app's real, signed webhooks.")

BEHAVIOURS = "accepts[:after[:talk]], no-answer, busy, fails, voicemail[:after], declines[:after], silent[:after]"


class _OrderedCommand(click.Command):
    """Keeps the command-line order of --press and --say, which click groups per option."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        _, _, order = self.make_parser(ctx).parse_args(args=list(args))
        ctx.meta["simulator.order"] = [param.name for param in order]
        return super().parse_args(ctx, args)


def parse_behaviour(text: str) -> Callee:
    """``accepts:3:60`` → ``Accepts(after=3, talk=60)``; see `BEHAVIOURS`."""
    name, *numbers = text.strip().lower().split(":")
    try:
        values = [float(number) for number in numbers]
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected {BEHAVIOURS}") from None
    makers = {
        "accepts": (Accepts, ("after", "talk")),
        "no-answer": (NoAnswer, ()),
        "busy": (Busy, ()),
        "fails": (Fails, ()),
        "voicemail": (Voicemail, ("after",)),
        "declines": (Declines, ("after",)),
        "silent": (AnswersWithoutKey, ("after",)),
    }
    if name not in makers or len(values) > len(makers[name][1]):
        raise click.BadParameter(f"{text!r}: expected {BEHAVIOURS}")
    behaviour, fields = makers[name]
    return behaviour(**dict(zip(fields, values, strict=False)))


def _timed(text: str) -> tuple[str, float | None]:
    """``1@2.5`` → ("1", 2.5); without ``@SECONDS`` the GP waits for the end of the prompt."""
    value, at, seconds = text.rpartition("@")
    if at:
        try:
            return value, float(seconds)
        except ValueError:
            pass
    return text, None


def gp_script(order: list[str], presses: tuple[str, ...], says: tuple[str, ...]) -> list[GPAction]:
    """The GP's actions, interleaved as --press and --say were given."""
    pending = {"press": list(presses), "say": list(says)}
    script: list[GPAction] = []
    for name in order:
        if pending.get(name):
            value, after = _timed(pending[name].pop(0))
            script.append(Key(value, after=after) if name == "press" else Speech(value, after=after))
    return script


@call_cli.command("simulate", cls=_OrderedCommand)
@click.option("--from", "from_", default="+33612345678", show_default=True, help="The GP's number.")
@click.option("--to", default=None, help="The number called (default: the hotline number).")
@click.option("--press", multiple=True, metavar="DIGITS[@SECONDS]", help="Keys for the next Gather (repeatable).")
@click.option("--say", multiple=True, metavar="TEXT[@SECONDS]", help="Speech for the next Gather (repeatable).")
@click.option("--callee", multiple=True, metavar="NUMBER=BEHAVIOUR", help=f"BEHAVIOUR: {BEHAVIOURS}.")
@click.option("--default-callee", default="no-answer", show_default=True, help="Behaviour of unlisted numbers.")
@click.option("--hang-up-at", type=float, default=None, help="The GP hangs up at this virtual second.")
@click.option("--callbacks", type=click.Choice(CALLBACK_MODES), default="in-order", show_default=True)
@click.option("--url", default=None, help="Post over HTTP to this running server instead of in-process.")
@click.option("--voice-url", default="/twilio/voice", show_default=True, help="The number's voice URL.")
@click.option("--status-url", default="/twilio/status", show_default=True, help="The number's status callback.")
@click.option("--fallback-url", default="/twilio/fallback", show_default=True, help="The number's fallback URL.")
@click.pass_context
def simulate(
    ctx: click.Context,
    from_: str,
    to: str | None,
    press: tuple[str, ...],
    say: tuple[str, ...],
    callee: tuple[str, ...],
    default_callee: str,
    hang_up_at: float | None,
    callbacks: str,
    url: str | None,
    voice_url: str,
    status_url: str,
    fallback_url: str,
) -> None:
    """Simulate a GP calling the hotline and print the transcript (with --url, in real time)."""
    settings = current_app.config["SETTINGS"]
    if not settings.twilio_auth_tokens:
        raise click.ClickException(
            "no Twilio auth token configured (twilio_auth_tokens is empty): the simulator signs "
            "every request as Twilio does, and the app must refuse unsigned ones"
        )
    callees: dict[str, Callee] = {}
    for entry in callee:
        number, equals, behaviour = entry.partition("=")
        if not equals:
            raise click.BadParameter(f"{entry!r}: expected NUMBER=BEHAVIOUR", param_hint="--callee")
        callees[try_e164(number) or number.strip()] = parse_behaviour(behaviour)
    transport = HttpTransport(url) if url else FlaskTransport(current_app._get_current_object())
    # The virtual call starts now (whole second, like Twilio's Timestamps). In-process, the app's
    # clock follows the virtual one, so the call log shows the simulated timeline. Over HTTP the server
    # stamps each webhook with its own clock: the call then runs in real time, so that its clock and
    # Twilio's Timestamps agree (a virtual clock racing ahead logged the first ring after the connection).
    started = app_clock.now().replace(microsecond=0)
    sim = Simulator(
        transport,
        public_base_url=settings.public_base_url,
        auth_token=settings.twilio_auth_tokens[0],
        account_sid=getattr(settings, "twilio_account_sid", None) or "AC" + "0" * 32,
        voice_url=voice_url,
        status_callback_url=status_url or None,
        fallback_url=fallback_url or None,
        start=started,
        realtime=bool(url),
    )
    with contextlib.ExitStack() as stack:
        if not url:
            stack.enter_context(app_clock.use_clock(sim.now))
        result = sim.call(
            from_=from_,
            to=to or settings.hotline_number,
            gp=gp_script(ctx.meta.get("simulator.order", []), press, say),
            callees=callees,
            default_callee=parse_behaviour(default_callee),
            hang_up_at=hang_up_at,
            status_callbacks=callbacks,
        )
    click.echo(result.transcript())
    if result.errors:
        ctx.exit(1)
