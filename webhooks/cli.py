"""``flask twilio-setup``: what to enter on the Twilio number, and how to try a call without Twilio."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from core.cli import Command, cli_words
from core.phones import national
from ivr.links import Links
from notify.outbox import SMS_WEBHOOK


@click.command("twilio-setup", cls=Command)
@with_appcontext
def twilio_setup_command() -> None:
    """Print the webhook URLs to configure on the Twilio number."""
    settings, words = current_app.config["SETTINGS"], cli_words()
    links = Links(settings.public_base_url)
    base = settings.public_base_url
    warning = words._("WARNING: TWILIO_AUTH_TOKEN is not set; every webhook will be refused.") if not settings.twilio_auth_tokens else ""
    flask = ".venv/bin/flask --app app"
    click.echo(
        words._(
            """
Recours hotline {number} — configure the Twilio number with:
  A call comes in (HTTP POST) ... {voice}
  Primary handler fails ......... {fallback}
  Call status changes ........... {status}
  A message comes in (SMS) ...... {sms}
Signatures are checked against {base}: it must be the URL Twilio uses.
{warning}
Try a call without Twilio (another terminal, while the server runs):
  {try_keys}
  {try_speech}
  {flask} calls list
Web pages: {base}/sign-in ; the scheduler (SMS, reminders, retention) runs
apart: {flask} scheduler run
""",
            number=national(settings.hotline_number),
            voice=links.voice(),
            fallback=links.fallback(),
            status=links.status(),
            sms=f"{base}{SMS_WEBHOOK}",
            base=base,
            warning=warning,
            flask=flask,
            try_keys=f"{flask} call simulate --url {base} --press 1 --default-callee accepts:3:20",
            try_speech=f'{flask} call simulate --say "la neuro s\'il vous plaît" --default-callee voicemail',
        )
    )
