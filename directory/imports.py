"""Reading the GP directory from a CSV file, checked whole (:func:`directory.operations.import_gps` writes it)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from core.errors import LineError
from core.phones import InvalidPhoneNumber, to_e164
from core.words import N_

REQUIRED_COLUMNS = ("name", "rpps", "phones")
RPPS = re.compile(r"^\d{11}$")


@dataclass(frozen=True)
class GpRow:
    line: int
    name: str
    rpps: str
    phones: tuple[str, ...]


def parse_gp_csv(content: str) -> tuple[list[GpRow], list[LineError]]:
    """Rows and every problem found, with line numbers as a spreadsheet shows them (header = 1).

    Columns: ``name``, ``rpps`` (11 digits), ``phones`` (one or more, separated by ``;``); comma or
    semicolon delimited, as French spreadsheets export.
    """
    content = content.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(content.splitlines()[0] if content else "", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(content), dialect=dialect)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problem = (
            N_("missing columns: {missing} (expected {expected})")
            if len(missing) > 1
            else N_("missing column: {missing} (expected {expected})")
        )
        return [], [LineError(1, problem, {"missing": ", ".join(missing), "expected": ", ".join(REQUIRED_COLUMNS)})]
    reader.fieldnames = header
    rows: list[GpRow] = []
    errors: list[LineError] = []
    seen_rpps: dict[str, int] = {}
    seen_phone: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        name = (record.get("name") or "").strip()
        rpps = (record.get("rpps") or "").strip()
        raw_phones = [p for p in re.split(r"[|;/]", record.get("phones") or "") if p.strip()]
        problems: list[tuple[str, dict[str, object]]] = []
        if not name:
            problems.append((N_("name is empty"), {}))
        if not RPPS.match(rpps):
            problems.append((N_("RPPS '{rpps}' must be 11 digits"), {"rpps": rpps}))
        elif rpps in seen_rpps:
            problems.append((N_("RPPS {rpps} already on line {other}"), {"rpps": rpps, "other": seen_rpps[rpps]}))
        phones: list[str] = []
        if not raw_phones:
            problems.append((N_("no phone number"), {}))
        for raw in raw_phones:
            try:
                e164 = to_e164(raw)
            except InvalidPhoneNumber:
                problems.append((N_("'{number}' is not a phone number"), {"number": raw.strip()}))
                continue
            if e164 in seen_phone:
                problems.append((N_("phone {number} already on line {other}"), {"number": raw.strip(), "other": seen_phone[e164]}))
            else:
                seen_phone[e164] = line
                phones.append(e164)
        if problems:
            errors.extend(LineError(line, message, params) for message, params in problems)
            continue
        seen_rpps[rpps] = line
        rows.append(GpRow(line, name, rpps, tuple(phones)))
    return rows, errors
