"""Tables as CSV (downloads, ``flask report --csv``) and as aligned text (``flask report``)."""

from __future__ import annotations

import csv
import io

from core.words import Words
from reports.tables import Table, format_cell

# A spreadsheet runs a cell that starts with one of these as a formula; names come from staff input.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def to_csv(table: Table, words: Words | None = None) -> str:
    """The table as CSV, a header row first, undefined values empty.

    Without ``words``, for machines (``flask report --csv``, scripts): comma, CRLF, UTF-8, English
    headers, rates as fractions with a dot. With ``words``, for the person who downloads it and opens it
    in a spreadsheet: a UTF-8 byte order mark (or Excel reads "Dr InÃ¨s Petit"), headers and labels in
    their language, and where the decimal separator is a comma (French), ``;`` between cells — what a
    French Excel expects."""
    out = io.StringIO()
    if words is not None:
        out.write("\ufeff")
    separator = ";" if words is not None and words.decimal_separator == "," else ","
    writer = csv.writer(out, delimiter=separator)
    writer.writerow(table.column_titles(words))
    for n, row in enumerate(table.rows):
        kinds = table.kinds(n)
        cells = [format_cell(v, k, words, for_csv=True) for v, k in zip(row, kinds, strict=True)]
        if words is not None:
            cells = [c.text_for(words, cell) if cell else cell for c, cell in zip(table.columns, cells, strict=True)]
        writer.writerow([_safe(cell) if k == "text" else cell for cell, k in zip(cells, kinds, strict=True)])
    return out.getvalue()


def to_text(table: Table, words: Words | None = None) -> str:
    """The table for a terminal: a title line, then columns aligned (numbers to the right). With
    ``words`` (``flask report``), titles, labels and numbers in the reader's language."""
    header = table.column_titles(words)

    def cell(value, kind, column) -> str:
        text = format_cell(value, kind, words)
        return column.text_for(words, text) if words is not None and kind == "text" and isinstance(value, str) else text

    body = [[cell(v, k, c) for v, k, c in zip(row, table.kinds(n), table.columns, strict=True)] for n, row in enumerate(table.rows)]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    numeric = [c.kind != "text" for c in table.columns]

    def line(cells: list[str], right: list[bool]) -> str:
        return "  ".join(cell.rjust(w) if r else cell.ljust(w) for cell, w, r in zip(cells, widths, right, strict=True)).rstrip()

    lines = [table.heading(words), line(header, numeric), line(["-" * w for w in widths], numeric)]
    lines += [line(cells, [k != "text" for k in table.kinds(n)]) for n, cells in enumerate(body)]
    if not body:
        lines.append(words._("(none)") if words is not None else "(none)")
    return "\n".join(lines)
