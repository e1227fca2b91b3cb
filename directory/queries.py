"""Looking GPs up."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from directory.models import GeneralPractitioner

# A name that already carries a title ("Dr Alice Renaud", "Pr. Martin", "Docteur Lefèvre") is said and
# written as it is; any other gets "Dr" (never « docteur Dr Alice Renaud »).
_TITLED = re.compile(r"^(dr|docteur|doctor|pr|professeur|professor)\b\.?", re.IGNORECASE)


def gp_name(session: Session, gp_id: int | None) -> str | None:
    gp = session.get(GeneralPractitioner, gp_id) if gp_id is not None else None
    return gp.full_name if gp else None


def titled(name: str) -> str:
    """A GP's name as staff hear and read it: with its own title, or "Dr" in front."""
    name = " ".join(name.split())
    return name if _TITLED.match(name) else f"Dr {name}"
