"""The audit log: who changed what, when, before and after. Administrators read every entry; heads read
the entries about the departments they head."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from accounts.access import Target
from audit.models import AuditEntry
from audit.operations import changed_keys
from audit.queries import entries
from core import db
from rota.models import Department
from web import params
from web.audit_words import KINDS, AuditReader
from web.i18n import current_words, translate
from web.security import requires, visible_departments

blueprint = Blueprint("history", __name__)
PAGE = 50


def _reader(rows) -> AuditReader:
    zone = ZoneInfo(current_app.config["SETTINGS"].scheduler.timezone)
    return AuditReader.for_entries(db.session(), rows, current_words(), zone)


def entry_target(entry_id: int) -> Target:
    entry = db.session().get(AuditEntry, entry_id)
    if entry is None:
        abort(404)
    return Target.of_department_ids(entry.department_ids)


@blueprint.get("/audit")
@requires("audit.view")
def index():
    """The newest changes first, by department and kind of change."""
    session = db.session()
    visible = visible_departments("audit.view")
    page = params.page_number()
    department_id = params.optional_id("department")
    kind = (request.args.get("kind") or "").strip() or None
    rows, total = entries(session, visible, department_id=department_id, action_prefix=kind, limit=PAGE, offset=(page - 1) * PAGE)
    query = select(Department.id, Department.name).order_by(Department.name)
    if visible is not None:
        query = query.where(Department.id.in_(list(visible)))
    departments = session.execute(query).all()
    return render_template(
        "history/index.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, (total + PAGE - 1) // PAGE),
        departments=departments,
        department_id=department_id,
        kind=kind,
        kinds={k: translate(label) for k, label in KINDS.items()},
        read=_reader(rows),
        changed_keys=changed_keys,
    )


@blueprint.get("/audit/<int:entry_id>")
@requires("audit.view", target=entry_target)
def detail(entry_id: int):
    """One change, field by field."""
    entry = db.session().get(AuditEntry, entry_id)
    keys = sorted(set(entry.before or {}) | set(entry.after or {}))
    return render_template(
        "history/detail.html",
        entry=entry,
        keys=keys,
        changed=set(changed_keys(entry.before, entry.after)),
        read=_reader([entry]),
    )
