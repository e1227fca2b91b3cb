"""Who is on duty now: every specialty with its primary and backups, gaps in red."""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from accounts.access import Target
from core import clock, db
from rota.coverage import duty_timeline
from rota.models import Department, Specialty
from rota.queries import on_duty
from web.duty_views import SpecialtyNow, layers_of_answer
from web.formatting import local_datetime
from web.i18n import language
from web.security import allowed, requires

blueprint = Blueprint("board", __name__)


@blueprint.get("/board")
@requires("board.view")
def index():
    """Every specialty as the hotline would ring it at this instant, and until when."""
    session = db.session()
    now = clock.now()
    specialties = session.scalars(
        select(Specialty).join(Specialty.department).options(joinedload(Specialty.department)).order_by(Department.name, Specialty.name_fr)
    ).all()
    horizon = now + timedelta(days=2)
    timelines = duty_timeline(session, now, horizon, [s.id for s in specialties]) if specialties else {}
    rows: list[SpecialtyNow] = []
    for specialty in specialties:
        answer = on_duty(session, specialty.id, now)
        if answer is None:
            continue
        periods = timelines.get(specialty.id, [])
        until = periods[0].ends_at if periods and periods[0].ends_at < horizon else None
        rows.append(
            SpecialtyNow(
                specialty.id,
                specialty.name(language()),
                specialty.department.name,
                layers_of_answer(answer),
                until,
                ZoneInfo(specialty.department.timezone),
            )
        )
    departments = [(name, list(items)) for name, items in groupby(rows, key=lambda r: r.department)]
    gaps = sum(1 for r in rows if r.layers.gap)
    # A specialty's name links to its rota only for those who may read it (a senior: their departments').
    rota_links = {s.id for s in specialties if allowed("rota.view", Target.departments(s.department_id))}
    return render_template(
        "board/index.html",
        departments=departments,
        now=now,
        gaps=gaps,
        local_datetime=local_datetime,
        paris=ZoneInfo("Europe/Paris"),
        rota_links=rota_links,
    )
