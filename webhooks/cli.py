"""``flask twilio-setup``: what to enter on the Twilio number, and how to try a call without Twilio."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from core.phones import national
from ivr.links import Links
from notify.outbox import SMS_WEBHOOK


@click.command("twilio-setup")
@with_appcontext
def twilio_setup_command() -> None:
    """Print the webhook URLs to configure on the Twilio number."""
    settings = current_app.config["SETTINGS"]
    links = Links(settings.public_base_url)
    click.echo(
        f"""
Recours hotline {national(settings.hotline_number)} — configure the Twilio number with:
  A call comes in (HTTP POST) ... {links.voice()}
  Primary handler fails ......... {links.fallback()}
  Call status changes ........... {links.status()}
  A message comes in (SMS) ...... {settings.public_base_url}{SMS_WEBHOOK}
Signatures are checked against {settings.public_base_url}: it must be the URL Twilio uses.
{"WARNING: TWILIO_AUTH_TOKEN is not set; every webhook will be refused." if not settings.twilio_auth_tokens else ""}
Try a call without Twilio (another terminal, while the server runs):
  .venv/bin/flask --app app call simulate --url http://127.0.0.1:5000 --press 1 --default-callee accepts
  .venv/bin/flask --app app call simulate --say "la neuro s'il vous plaît" --default-callee voicemail
  .venv/bin/flask --app app calls list
Web pages: {settings.public_base_url}/sign-in ; the scheduler (SMS, reminders, retention) runs
apart: .venv/bin/flask --app app scheduler run
"""
    )
