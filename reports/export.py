"""Tables as CSV (downloads, ``flask report --csv``) and as aligned text (``flask report``)."""

from __future__ import annotations

import csv
import io

from reports.tables import Table, format_cell

# A spreadsheet runs a cell that starts with one of these as a formula; names come from staff input.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def to_csv(table: Table) -> str:
    """The table as CSV (comma, CRLF, UTF-8), a header row first; rates as fractions, seconds to the ms,
    undefined values empty."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.title for c in table.columns])
    for n, row in enumerate(table.rows):
        kinds = table.kinds(n)
        cells = [format_cell(v, k, for_csv=True) for v, k in zip(row, kinds, strict=True)]
        writer.writerow([_safe(cell) if k == "text" else cell for cell, k in zip(cells, kinds, strict=True)])
    return out.getvalue()


def to_text(table: Table) -> str:
    """The table for a terminal: a title line, then columns aligned (numbers to the right)."""
    header = [c.title for c in table.columns]
    body = [[format_cell(v, k) for v, k in zip(row, table.kinds(n), strict=True)] for n, row in enumerate(table.rows)]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    numeric = [c.kind != "text" for c in table.columns]

    def line(cells: list[str], right: list[bool]) -> str:
        return "  ".join(cell.rjust(w) if r else cell.ljust(w) for cell, w, r in zip(cells, widths, right, strict=True)).rstrip()

    lines = [table.title, line(header, numeric), line(["-" * w for w in widths], numeric)]
    lines += [line(cells, [k != "text" for k in table.kinds(n)]) for n, cells in enumerate(body)]
    if not body:
        lines.append("(none)")
    return "\n".join(lines)
