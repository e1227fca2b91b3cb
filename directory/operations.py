"""Changes to the GP directory: one GP at a time (the web pages) or a whole CSV file (``flask gps import``).

Each function takes the actor, checks its arguments, writes its audit entry and flushes; the caller
commits once. A refusal raises :class:`DirectoryError` with a code and the field it is about.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from audit import record, snapshot
from core.actor import Actor
from core.concurrency import lock
from core.errors import N_, Code, Kind, LineError, OperationError
from core.phones import InvalidPhoneNumber, e164_list, national
from directory.imports import RPPS, GpRow
from directory.models import GeneralPractitioner, GpPhone


class DirectoryError(OperationError):
    prefix = "directory"
    codes = {
        "name": Code(N_("A name is needed."), field="full_name"),
        "rpps": Code(N_("An RPPS number has 11 digits."), field="rpps"),
        "rpps_taken": Code(N_("RPPS {rpps} is already the number of {name}."), Kind.CONFLICT, "rpps"),
        "phone": Code(N_("{number} is not a valid phone number."), field="phones"),
        "no_phone": Code(N_("At least one phone number is needed."), field="phones"),
        "phone_taken": Code(N_("{number} is already the number of {name}."), Kind.CONFLICT, "phones"),
        "unknown_gp": Code(N_("There is no GP #{gp_id}."), Kind.NOT_FOUND),
    }


def gp_values(gp: GeneralPractitioner) -> dict[str, Any]:
    return snapshot(gp, phones=sorted(p.e164 for p in gp.phones))


def _audit(session: Session, actor: Actor, action: str, gp_id: int | None, before, after, summary: str) -> None:
    record(session, actor, action=action, target_type="gp", target_id=gp_id, before=before, after=after, summary=summary)


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
    try:
        numbers = e164_list(phones)
    except InvalidPhoneNumber as exc:
        raise DirectoryError("phone", number=exc.text) from None
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


def create_gp(session: Session, actor: Actor, full_name: str, rpps: str, phones: Sequence[str]) -> GeneralPractitioner:
    numbers = _check(session, None, full_name, rpps, phones)
    gp = GeneralPractitioner(full_name=full_name.strip(), rpps=rpps.strip(), phones=[GpPhone(e164=n) for n in numbers])
    session.add(gp)
    session.flush()
    _audit(session, actor, "gp.create", gp.id, None, gp_values(gp), gp.full_name)
    return gp


def update_gp(
    session: Session, actor: Actor, gp_id: int, full_name: str, rpps: str, phones: Sequence[str], *, expected: str | None = None
) -> GeneralPractitioner:
    gp = lock(session, GeneralPractitioner, gp_id, gp_values, expected, DirectoryError("unknown_gp", gp_id=gp_id))
    before = gp_values(gp)
    numbers = _check(session, gp.id, full_name, rpps, phones)
    gp.full_name, gp.rpps = full_name.strip(), rpps.strip()
    _set_phones(gp, numbers)
    session.flush()
    _audit(session, actor, "gp.update", gp.id, before, gp_values(gp), gp.full_name)
    return gp


def delete_gp(session: Session, actor: Actor, gp_id: int, *, expected: str | None = None) -> None:
    """Calls already logged keep their number; their link to the GP is cleared by the database."""
    gp = lock(session, GeneralPractitioner, gp_id, gp_values, expected, DirectoryError("unknown_gp", gp_id=gp_id))
    before = gp_values(gp)
    session.delete(gp)
    session.flush()
    _audit(session, actor, "gp.delete", gp_id, before, None, before["full_name"])


def _set_phones(gp: GeneralPractitioner, numbers: Sequence[str]) -> None:
    kept = {p.e164: p for p in gp.phones if p.e164 in numbers}
    gp.phones = [kept.get(n) or GpPhone(e164=n) for n in numbers]


def import_gps(session: Session, actor: Actor, rows: list[GpRow], *, source: str) -> tuple[dict[str, int], list[LineError]]:
    """Create or update GPs by RPPS, checked whole (:func:`directory.imports.parse_gp_csv`). Returns
    counts, or errors (and writes nothing) when a number already belongs to another GP in the
    directory. One audit entry for the file, with the RPPS numbers it created and updated."""
    by_rpps = {
        gp.rpps: gp
        for gp in session.scalars(
            select(GeneralPractitioner)
            .where(GeneralPractitioner.rpps.in_([r.rpps for r in rows]))
            .options(selectinload(GeneralPractitioner.phones))
        )
    }
    all_phones = [p for r in rows for p in r.phones]
    owners = {
        e164: rpps
        for e164, rpps in session.execute(
            select(GpPhone.e164, GeneralPractitioner.rpps).join(GpPhone.gp).where(GpPhone.e164.in_(all_phones))
        )
    }
    errors = [
        LineError(r.line, N_("phone {number} belongs to the GP with RPPS {rpps}"), {"number": national(p), "rpps": owners[p]})
        for r in rows
        for p in r.phones
        if p in owners and owners[p] != r.rpps
    ]
    if errors:
        return {}, errors
    created: list[str] = []
    updated: list[str] = []
    for row in rows:
        gp = by_rpps.get(row.rpps)
        if gp is None:
            gp = GeneralPractitioner(rpps=row.rpps, full_name=row.name)
            session.add(gp)
            created.append(row.rpps)
        else:
            gp.full_name = row.name
            updated.append(row.rpps)
        _set_phones(gp, row.phones)
    session.flush()
    after = {"source": source, "created": created, "updated": updated}
    _audit(session, actor, "gp.import", None, None, after, f"{len(created)} GP(s) created, {len(updated)} updated from {source}")
    return {"created": len(created), "updated": len(updated)}, []
