"""People's names as Recours says and writes them."""

from __future__ import annotations

import re

# A name typed with its title already ("Dr Claire Martin", "Pr. Anne Chef", "Docteur Roux").
_TITLED = re.compile(r"^(dr|docteur|pr|professeur)\b\.?", re.IGNORECASE)


def titled(full_name: str) -> str:
    """``Dr Claire Martin`` for "Claire Martin" and for "Dr Claire Martin" alike: never « Dr Dr »."""
    name = " ".join(full_name.split())
    return name if _TITLED.match(name) else f"Dr {name}"
