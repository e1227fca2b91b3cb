"""A list of phone numbers typed one per line, in any usual format; stored E.164, shown national."""

from __future__ import annotations

from wtforms import TextAreaField
from wtforms.validators import ValidationError

from core.phones import InvalidPhoneNumber, national, to_e164
from web.i18n import _


class PhoneListField(TextAreaField):
    """``data`` is the list of E.164 numbers once validated; the text keeps what the person typed."""

    def _value(self) -> str:
        if isinstance(self.data, list):
            return "\n".join(national(n) for n in self.data)
        return super()._value()

    def pre_validate(self, form) -> None:
        raw = self.data if isinstance(self.data, str) else "\n".join(self.data or [])
        numbers: list[str] = []
        problems: list[str] = []
        for line in raw.replace(",", "\n").replace(";", "\n").splitlines():
            if not line.strip():
                continue
            try:
                number = to_e164(line)
            except InvalidPhoneNumber:
                problems.append(_("“{value}” is not a valid phone number.", value=line.strip()))
                continue
            if number in numbers:
                problems.append(_("{number} is listed twice.", number=national(number)))
            else:
                numbers.append(number)
        if problems:
            raise ValidationError(" ".join(problems))
        self.data = numbers
