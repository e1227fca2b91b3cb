"""Every message the web app shows, found in its sources: what the French catalogue must translate."""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"
# _("..."), lazy("..."), N_("..."), and the label of the field helpers, in Python and in templates.
CALLS = re.compile(r"""(?:\b_|\blazy|\bN_|local_datetime_field|senior_field)\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def messages() -> set[str]:
    found: set[str] = set()
    for path in [*WEB.rglob("*.py"), *WEB.rglob("*.html")]:
        if path.name == "catalogue.py":
            continue
        for double, single in CALLS.findall(path.read_text(encoding="utf-8")):
            found.add((double or single).encode().decode("unicode_escape").encode("latin-1").decode("utf-8"))
    return found
