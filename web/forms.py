"""What every form of the web app shares: French validation messages, local date-times, choices."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField
from wtforms.fields import DateTimeLocalField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from rota import bounds
from rota.patterns import instant
from web.i18n import _, lazy, wtforms_translations


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


def within_planned_dates(_form, field) -> None:
    """A typed date or date-time within the dates Recours plans (:mod:`rota.bounds`), before any arithmetic."""
    day = field.data.date() if isinstance(field.data, datetime) else field.data
    if day is not None and not bounds.day_in_range(day):
        raise ValidationError(_(bounds.OUT_OF_RANGE, **bounds.range_params()))


def check_length(kind: str, starts: datetime | None, ends: datetime | None) -> None:
    """For a form's ``validate_ends_at``: no longer than the rota accepts for ``kind``, said in the
    reader's language (the operation checks the same limit again, for the API, CLI and imports)."""
    if starts is not None and ends is not None and ends - starts > bounds.LONGEST[kind]:
        raise ValidationError(_(bounds.TOO_LONG[kind], days=bounds.LONGEST[kind].days))


def local_datetime_field(label: str, required: bool = True) -> DateTimeLocalField:
    return DateTimeLocalField(
        lazy(label), format="%Y-%m-%dT%H:%M", validators=[InputRequired() if required else Optional(), within_planned_dates]
    )


def senior_field(label: str, required: bool = True) -> SelectField:
    return SelectField(lazy(label), coerce=_int_or_none, validators=[InputRequired() if required else Optional()])


def _int_or_none(value) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms options."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (never a list that needs Ctrl-click to choose more than one)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
