"""The report pages speak French through the catalogue: every table title, column and label they
translate at render time (values of tables, marked with N_ where they are defined) has its French."""

from __future__ import annotations

import re

from core.words import in_language
from reports.definitions import CALLBACK_LABELS, LAYER_LABELS, OUTCOME_LABELS, RESULT_LABELS
from reports.views import SCOPE_LABELS

UNTRANSLATED = {"senior", "Pages"}  # the same word in French


def test_every_label_the_pages_translate_is_in_the_catalogue(shared_log):
    from reports.figures import summary_report
    from reports.scope import resolve_scope
    from reports.tables import summary_tables
    from tests.reports.conftest import FIRST_DAY, LAST_DAY
    from tests.reports.test_report_outputs import LATER

    report = shared_log.read(lambda session: summary_report(session, resolve_scope(session, FIRST_DAY, LAST_DAY), LATER))
    tables = summary_tables(report).values()
    titles = {t.title for t in tables}
    columns = {c.title for t in tables for c in t.columns if not c.title.endswith("h")}  # 00h … 23h stay as they are
    rows = {row[0] for t in tables if t.name in ("overview", "outcomes") for row in t.rows}
    labels = {*OUTCOME_LABELS.values(), *RESULT_LABELS.values(), *LAYER_LABELS.values(), *CALLBACK_LABELS.values(), *SCOPE_LABELS.values()}
    french = in_language("fr")
    untranslated = sorted(m for m in titles | columns | rows | labels if french._(m) == m and m not in UNTRANSLATED)
    assert untranslated == []


def test_a_french_manager_reads_french_numbers_and_words_in_the_charts(shared_log):
    """Chart titles, legends, tooltips and numbers: « 33,3 % », « lun. », no English word."""
    from reports.charts import all_charts
    from reports.figures import summary_report
    from reports.scope import resolve_scope
    from tests.reports.conftest import FIRST_DAY, LAST_DAY
    from tests.reports.test_report_outputs import LATER

    report = shared_log.read(lambda session: summary_report(session, resolve_scope(session, FIRST_DAY, LAST_DAY), LATER))
    french = " ".join(str(chart) for chart in all_charts(report, in_language("fr")).values())
    english = " ".join(str(chart) for chart in all_charts(report, in_language("en")).values())
    assert "Appels par issue" in french and "lun." in french and "mis en relation" in french
    assert re.search(r"\d,\d\u00a0%", french) and not re.search(r"\d\.\d %", french)
    for word in ("calls", "connected", "missed", "median", "week of", "Mon"):
        assert word not in french, word
    assert "Calls by outcome" in english and "Mon" in english and re.search(r"\d\.\d%", english)
