"""Call reports for managers: where calls go unanswered, and how fast GPs reach a senior.

Figures are plain functions of the call log (:mod:`reports.figures`), defined once in
:mod:`reports.definitions`, read through summary tables per local day (:mod:`reports.summaries`) and
shown four ways from the same tables (:mod:`reports.tables`): the pages, CSV downloads, SVG charts
(:mod:`reports.views`, :mod:`reports.charts`), ``flask report`` (:mod:`reports.cli`) and JSON
(``/api/reports/...``, described in :mod:`reports.openapi`). Who may see them: :mod:`reports.access`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Flask

from core.config import ConfigError

log = logging.getLogger(__name__)


def init_app(app: Flask, env: Mapping[str, str]) -> None:
    """Add ``flask report``; register the pages and the JSON endpoints when ``REPORTS_WEB`` allows it."""
    from reports import models  # noqa: F401 - the summary tables and indexes belong to the metadata
    from reports.access import MODES
    from reports.cli import report_cli

    app.cli.add_command(report_cli)
    mode = (env.get("REPORTS_WEB", "") or "accounts").strip().lower()
    if mode not in MODES:
        raise ConfigError(f"REPORTS_WEB must be one of {', '.join(MODES)}, got {mode!r}")
    app.config["REPORTS_WEB"] = mode
    if mode == "off":
        return
    if mode == "open":
        log.warning("REPORTS_WEB=open: the call reports are served without any access check")
    from reports.views import blueprint

    app.register_blueprint(blueprint)
