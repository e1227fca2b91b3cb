"""The report pages speak French through the catalogue: every table title, column and label they
translate at render time (values of tables, marked with N_ where they are defined) has its French."""

from __future__ import annotations

from core.words import in_language
from reports.definitions import OUTCOME_LABELS, RESULT_LABELS, WEEKDAYS
from reports.views import _ZONED_TITLES, LAYER_LABELS, SCOPE_LABELS

UNTRANSLATED = {"senior", "Pages"}  # the same word in French


def test_every_label_the_pages_translate_is_in_the_catalogue(shared_log):
    from reports.figures import summary_report
    from reports.scope import resolve_scope
    from reports.tables import summary_tables
    from tests.reports.conftest import FIRST_DAY, LAST_DAY
    from tests.reports.test_report_outputs import LATER

    report = shared_log.read(lambda session: summary_report(session, resolve_scope(session, FIRST_DAY, LAST_DAY), LATER))
    tables = summary_tables(report).values()
    zoned = {title.removesuffix("{zone})") for title in _ZONED_TITLES}
    titles = {t.title for t in tables if not any(t.title.startswith(prefix) for prefix in zoned)}
    columns = {c.title for t in tables for c in t.columns if not c.title.endswith("h")}  # 00h … 23h stay as they are
    rows = {row[0] for t in tables if t.name in ("overview", "outcomes", "heat_map") for row in t.rows}
    labels = {*OUTCOME_LABELS.values(), *RESULT_LABELS.values(), *WEEKDAYS, *LAYER_LABELS.values(), *SCOPE_LABELS.values(), *_ZONED_TITLES}
    french = in_language("fr")
    untranslated = sorted(m for m in titles | columns | rows | labels if french._(m) == m and m not in UNTRANSLATED)
    assert untranslated == []
