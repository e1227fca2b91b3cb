"""Every message the web app (and the report pages inside it) shows, found in its sources: what the
French catalogue must translate."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
# The report pages are shown inside the web app, in its language, through the same catalogue.
REPORTS = ROOT / "reports"
# _("..."), lazy("..."), N_("..."), and the label of the field helpers, in Python and in templates.
CALLS = re.compile(r"""(?:\b_|\blazy|\bN_|local_datetime_field|senior_field)\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def messages() -> set[str]:
    found: set[str] = set()
    for path in [*WEB.rglob("*.py"), *WEB.rglob("*.html"), REPORTS / "views.py", *(REPORTS / "templates").rglob("*.html")]:
        if path.name == "catalogue.py":
            continue
        for double, single in CALLS.findall(path.read_text(encoding="utf-8")):
            found.add((double or single).encode().decode("unicode_escape").encode("latin-1").decode("utf-8"))
    return found
