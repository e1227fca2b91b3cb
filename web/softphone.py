"""The softphone: an administrator places a simulated call to the hotline, through the project's call
simulator and the app's real, signed webhooks, in process. They choose what the GP presses or says and
how each senior's phone behaves, and read what the GP would hear and the timeline.

The call is a real call as far as the app knows: it is in the call log (and its reports), stamped with
real time. SOFTPHONE_ENABLED=false turns the page off.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select
from wtforms import FieldList, FloatField, FormField, SelectField, StringField
from wtforms import Form as PlainForm
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from calllog.models import Call
from core import clock, db
from core.phones import InvalidPhoneNumber, national, to_e164
from directory.models import GpPhone
from rota.models import Specialty
from rota.queries import on_duty_hunt_list
from simulator import (
    Accepts,
    AnswersWithoutKey,
    Busy,
    Declines,
    Fails,
    FlaskTransport,
    HangUp,
    Key,
    NoAnswer,
    Silence,
    Simulator,
    Speech,
    Voicemail,
)
from web.auditing import log_softphone_call
from web.calls import outcome_label
from web.forms import Form, options
from web.i18n import N_, _, language, lazy, wtforms_translations
from web.security import requires

blueprint = Blueprint("softphone", __name__)

BEHAVIOURS = {
    "accepts": (lazy("answers and presses 1"), lambda: Accepts(after=3)),
    "no-answer": (lazy("does not answer"), NoAnswer),
    "busy": (lazy("is busy"), Busy),
    "voicemail": (lazy("voicemail picks up"), lambda: Voicemail()),
    "declines": (lazy("answers and declines"), lambda: Declines()),
    "silent": (lazy("answers, presses nothing"), lambda: AnswersWithoutKey()),
    "fails": (lazy("unreachable (network failure)"), Fails),
}
BEHAVIOUR_CHOICES = options((k, label) for k, (label, _maker) in BEHAVIOURS.items())
NO_TOKEN = N_(
    "No Twilio Auth Token is configured (TWILIO_AUTH_TOKEN): the hotline refuses unsigned calls, so the softphone cannot call it."
)
STEP_CHOICES = options(
    [
        ("", "—"),
        ("key", lazy("presses keys")),
        ("speech", lazy("says")),
        ("silence", lazy("stays silent")),
        ("hangup", lazy("hangs up")),
    ]
)


class StepForm(PlainForm):
    class Meta:
        def get_translations(self, form):
            return wtforms_translations()

    kind = SelectField(lazy("The GP"), choices=STEP_CHOICES, validators=[Optional()])
    value = StringField(lazy("Keys or words"), validators=[Optional()])

    def validate_value(self, field) -> None:
        if self.kind.data == "key" and not (field.data or "").strip():
            raise ValidationError(_("Which keys?"))
        if self.kind.data == "key" and not all(c in "0123456789*#" for c in field.data.strip()):
            raise ValidationError(_("Keys are 0-9, * and #."))
        if self.kind.data == "speech" and not (field.data or "").strip():
            raise ValidationError(_("Which words?"))


@dataclass(frozen=True)
class Reachable:
    number: str
    who: str


def reachable_numbers() -> list[Reachable]:
    """The numbers the hotline could ring right now: every specialty's hunt list, each number once."""
    session = db.session()
    now = clock.now()
    seen: dict[str, Reachable] = {}
    for specialty in session.scalars(select(Specialty).order_by(Specialty.menu_digit.is_(None), Specialty.menu_digit, Specialty.name_fr)):
        for entry in on_duty_hunt_list(session, specialty.id, now):
            if entry.number not in seen:
                layer = {"primary": _("primary"), "backup": _("backup")}.get(entry.layer, _("last resort"))
                seen[entry.number] = Reachable(entry.number, f"{entry.name} — {specialty.name(language())}, {layer}")
    return list(seen.values())


def _form_class(numbers: list[Reachable]):
    class SoftphoneForm(Form):
        from_number = StringField(lazy("The GP calls from"), validators=[InputRequired()])
        to = SelectField(lazy("Number dialled"))
        steps = FieldList(FormField(StepForm), min_entries=4, max_entries=4)
        default_callee = SelectField(lazy("Any other phone"), choices=BEHAVIOUR_CHOICES, default="no-answer")
        hang_up_at = FloatField(lazy("The GP hangs up after (seconds)"), validators=[Optional(), NumberRange(min=1, max=3600)])

        def validate_from_number(self, field) -> None:
            try:
                field.data = to_e164(field.data)
            except InvalidPhoneNumber:
                raise ValidationError(_("Not a valid phone number (for example 01 99 00 02 01).")) from None

    for index, reachable in enumerate(numbers):
        setattr(
            SoftphoneForm,
            f"callee_{index}",
            SelectField(reachable.who, choices=BEHAVIOUR_CHOICES, default="accepts" if index == 0 else "no-answer"),
        )
    return SoftphoneForm


def _gp_script(form) -> list:
    script = []
    for step in form.steps.entries:
        kind, value = step.form.kind.data, (step.form.value.data or "").strip()
        if kind == "key":
            script.append(Key(value))
        elif kind == "speech":
            script.append(Speech(value))
        elif kind == "silence":
            script.append(Silence())
        elif kind == "hangup":
            script.append(HangUp())
    return script


@blueprint.route("/softphone", methods=["GET", "POST"])
@requires("softphone.use")
def index():
    """Place a simulated call and show what the GP hears, what each senior hears, and the timeline."""
    settings = current_app.config["SETTINGS"]
    if not settings.web.softphone_enabled:
        abort(404)
    session = db.session()
    numbers = reachable_numbers()
    form = _form_class(numbers)()
    dialled = [(settings.hotline_number, _("the hotline ({number})", number=national(settings.hotline_number)))]
    dialled += [
        (s.direct_number, f"{s.name(language())} ({national(s.direct_number)})")
        for s in session.scalars(select(Specialty).where(Specialty.direct_number.is_not(None)))
    ]
    form.to.choices = options(dialled)
    if request.method == "GET":
        first_gp = session.scalar(select(GpPhone.e164).order_by(GpPhone.id).limit(1))
        form.from_number.data = national(first_gp) if first_gp else "06 12 34 56 78"
        form.steps.entries[0].form.kind.data, form.steps.entries[0].form.value.data = "key", "1"
    result = call = None
    problem = None
    if form.validate_on_submit():
        if not settings.twilio_auth_tokens:
            problem = _(NO_TOKEN)
        else:
            callees = {r.number: BEHAVIOURS[getattr(form, f"callee_{i}").data][1]() for i, r in enumerate(numbers)}
            # The webhooks run in this request's application context and commit its session: start clean.
            session.commit()
            simulator = Simulator(
                FlaskTransport(current_app._get_current_object()),
                public_base_url=settings.public_base_url,
                auth_token=settings.twilio_auth_tokens[0],
                account_sid=settings.twilio_account_sid or "AC" + "0" * 32,
                start=clock.now(),
            )
            result = simulator.call(
                from_=form.from_number.data,
                to=form.to.data,
                gp=_gp_script(form),
                callees=callees,
                default_callee=BEHAVIOURS[form.default_callee.data][1](),
                hang_up_at=form.hang_up_at.data,
            )
            session.rollback()  # read what the webhooks committed
            call = session.scalars(select(Call).where(Call.sid == result.call_sid)).first()
            outcome = call.outcome.value if call is not None and call.outcome is not None else "?"
            log_softphone_call(
                session,
                call.id if call else None,
                {"sid": result.call_sid, "from": form.from_number.data, "to": form.to.data, "outcome": outcome},
                result.call_sid,  # the outcome is a field of the entry, shown in the reader's words
            )
            session.commit()
    callee_fields = [getattr(form, f"callee_{i}") for i in range(len(numbers))]
    return render_template(
        "softphone/index.html",
        form=form,
        callee_fields=callee_fields,
        numbers=numbers,
        result=result,
        call=call,
        # How the call ended in the reader's words (« rappel demandé »), never the stored value.
        outcome=outcome_label(call) if call is not None and call.outcome is not None else None,
        problem=problem,
    )
