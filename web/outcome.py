"""The one-tap page of "what came of the call?" (calllog/conversation.py): opened from the senior's SMS,
no sign-in — the link itself is the key: signed with SECRET_KEY, bound to one call and the senior who
took it, expiring after a week. It shows no patient data (there is none) and no GP's name: only the
six choices."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from wtforms import RadioField
from wtforms.validators import InputRequired

from calllog import conversation
from calllog.models import ConversationOutcome
from core import clock, db
from web.forms import Form, options
from web.i18n import _, lazy
from web.security import public

blueprint = Blueprint("outcome", __name__)


class OutcomeForm(Form):
    outcome = RadioField(
        lazy("What came of the call?"),
        choices=options((o.value, lazy(conversation.LABELS[o])) for o in ConversationOutcome),
        validators=[InputRequired(message=lazy("Choose one of the six answers."))],
    )


@blueprint.route(f"{conversation.PAGE_PATH}/<token>", methods=["GET", "POST"])
@public
def answer(token: str):
    """Six buttons; a tap stores the answer (a second tap corrects it)."""
    settings = current_app.config["SETTINGS"]
    try:
        call_id, senior_id = conversation.read_token(settings, token)
    except conversation.BadLink as bad:
        message = (
            _("This link is more than a week old: the answer can no longer be given here.")
            if bad.expired
            else _("This link is not valid. Open the one in the text message as it came.")
        )
        return render_template("web/error.html", title=_("Link not valid"), message=message), 410 if bad.expired else 404
    session = db.session()
    call = conversation.call_for_page(session, call_id, senior_id)
    if call is None:
        return render_template("web/error.html", title=_("Link not valid"), message=_("This call is no longer in the log.")), 404
    form = OutcomeForm(data={"outcome": call.conversation_outcome.value if call.conversation_outcome else None})
    saved = None
    if form.validate_on_submit():
        outcome = ConversationOutcome(form.outcome.data)
        conversation.record(session, call, outcome, "page", clock.now())
        session.commit()
        saved = conversation.LABELS[outcome]
    return render_template("outcome/answer.html", form=form, saved=saved), 200 if not form.errors else 422
