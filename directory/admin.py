"""Editing the GP directory one GP at a time (the web app); the CSV import is in :mod:`directory.operations`.

Functions check their arguments and flush; the caller commits. A refusal raises :class:`DirectoryError`
with a code and the field it is about (see :mod:`core.errors`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import N_, Code, Kind, OperationError
from core.phones import InvalidPhoneNumber, national, to_e164
from directory.models import GeneralPractitioner, GpPhone
from directory.operations import RPPS


class DirectoryError(OperationError):
    prefix = "directory"
    codes = {
        "name": Code(N_("A name is needed."), field="full_name"),
        "rpps": Code(N_("An RPPS number has 11 digits."), field="rpps"),
        "rpps_taken": Code(N_("RPPS {rpps} is already the number of {name}."), Kind.CONFLICT, "rpps"),
        "phone": Code(N_("{number} is not a valid phone number."), field="phones"),
        "no_phone": Code(N_("At least one phone number is needed."), field="phones"),
        "phone_taken": Code(N_("{number} is already the number of {name}."), Kind.CONFLICT, "phones"),
    }


def _check(session: Session, gp_id: int | None, full_name: str, rpps: str, phones: Sequence[str]) -> list[str]:
    if not full_name.strip():
        raise DirectoryError("name")
    if not RPPS.match(rpps.strip()):
        raise DirectoryError("rpps")
    other = session.scalar(
        select(GeneralPractitioner.full_name).where(GeneralPractitioner.rpps == rpps.strip(), GeneralPractitioner.id != (gp_id or 0))
    )
    if other is not None:
        raise DirectoryError("rpps_taken", rpps=rpps.strip(), name=other)
    numbers: list[str] = []
    for raw in phones:
        try:
            number = to_e164(raw)
        except InvalidPhoneNumber:
            raise DirectoryError("phone", number=raw) from None
        if number not in numbers:
            numbers.append(number)
    if not numbers:
        raise DirectoryError("no_phone")
    owners = dict(
        session.execute(
            select(GpPhone.e164, GeneralPractitioner.full_name)
            .join(GpPhone.gp)
            .where(GpPhone.e164.in_(numbers), GeneralPractitioner.id != (gp_id or 0))
        ).all()
    )
    if owners:
        number, owner = next(iter(owners.items()))
        raise DirectoryError("phone_taken", number=national(number), name=owner)
    return numbers


def create_gp(session: Session, full_name: str, rpps: str, phones: Sequence[str]) -> GeneralPractitioner:
    numbers = _check(session, None, full_name, rpps, phones)
    gp = GeneralPractitioner(full_name=full_name.strip(), rpps=rpps.strip(), phones=[GpPhone(e164=n) for n in numbers])
    session.add(gp)
    session.flush()
    return gp


def update_gp(session: Session, gp: GeneralPractitioner, full_name: str, rpps: str, phones: Sequence[str]) -> GeneralPractitioner:
    numbers = _check(session, gp.id, full_name, rpps, phones)
    gp.full_name, gp.rpps = full_name.strip(), rpps.strip()
    kept = {p.e164: p for p in gp.phones if p.e164 in numbers}
    gp.phones = [kept.get(n) or GpPhone(e164=n) for n in numbers]
    session.flush()
    return gp


def delete_gp(session: Session, gp: GeneralPractitioner) -> None:
    """Calls already logged keep their number; their link to the GP is cleared by the database."""
    session.delete(gp)
    session.flush()
