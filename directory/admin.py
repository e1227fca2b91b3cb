"""Editing the GP directory one GP at a time (the web app); the CSV import is in :mod:`directory.operations`.

Functions check their arguments and flush; the caller commits. A refusal raises :class:`DirectoryError`
naming the field it is about.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.phones import InvalidPhoneNumber, national, to_e164
from core.words import N_
from directory.models import GeneralPractitioner, GpPhone
from directory.operations import RPPS


class DirectoryError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _check(session: Session, gp_id: int | None, full_name: str, rpps: str, phones: Sequence[str]) -> list[str]:
    if not full_name.strip():
        raise DirectoryError(N_("a name is needed"), "full_name")
    if not RPPS.match(rpps.strip()):
        raise DirectoryError(f"RPPS {rpps!r} must be 11 digits", "rpps")
    other = session.scalar(
        select(GeneralPractitioner.full_name).where(GeneralPractitioner.rpps == rpps.strip(), GeneralPractitioner.id != (gp_id or 0))
    )
    if other is not None:
        raise DirectoryError(f"RPPS {rpps} is already {other}'s", "rpps")
    numbers: list[str] = []
    for raw in phones:
        try:
            number = to_e164(raw)
        except InvalidPhoneNumber as exc:
            raise DirectoryError(str(exc), "phones") from None
        if number not in numbers:
            numbers.append(number)
    if not numbers:
        raise DirectoryError(N_("at least one phone number"), "phones")
    owners = dict(
        session.execute(
            select(GpPhone.e164, GeneralPractitioner.full_name)
            .join(GpPhone.gp)
            .where(GpPhone.e164.in_(numbers), GeneralPractitioner.id != (gp_id or 0))
        ).all()
    )
    if owners:
        number, owner = next(iter(owners.items()))
        raise DirectoryError(f"{national(number)} is already {owner}'s number", "phones")
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
