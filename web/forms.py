"""What every form of the web app shares: French validation messages, local date-times, choices."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.fields import DateTimeLocalField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from rota.patterns import instant
from web.i18n import lazy, wtforms_translations


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return wtforms_translations()


class EditForm(Form):
    """A form that changes an existing thing: carries the fingerprint it was opened with."""

    fingerprint = HiddenField(validators=[InputRequired()])


class ConfirmForm(EditForm):
    """A button that acts on one thing (delete, approve...): only the CSRF token and the fingerprint."""


def local_input(at: datetime | None, zone: ZoneInfo) -> datetime | None:
    """An aware instant as the naive local time a ``datetime-local`` input shows."""
    return None if at is None else at.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


def to_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """A local time typed in a form, as an instant (a DST-skipped time is the instant of the jump)."""
    return instant(local.date(), local.time(), zone)


def local_datetime_field(label: str, required: bool = True) -> DateTimeLocalField:
    return DateTimeLocalField(lazy(label), format="%Y-%m-%dT%H:%M", validators=[InputRequired() if required else Optional()])


def senior_field(label: str, required: bool = True) -> SelectField:
    return SelectField(lazy(label), coerce=_int_or_none, validators=[InputRequired() if required else Optional()])


def _int_or_none(value) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms options."""
    return [SelectChoice(value, label) for value, label in pairs]
