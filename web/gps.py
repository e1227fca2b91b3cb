"""The GP directory: who is calling, so seniors hear a name. Read by heads and managers, edited by administrators."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from wtforms import StringField
from wtforms.validators import InputRequired, Length, Regexp

from accounts.access import Target
from core import db
from core.phones import try_e164
from directory.models import GeneralPractitioner, GpPhone
from directory.operations import create_gp, delete_gp, gp_values, update_gp
from web import params
from web.editing import act, current_values, fingerprint, submit
from web.forms import ConfirmForm, EditForm
from web.i18n import _, lazy
from web.phones_field import PhoneListField
from web.security import requires

blueprint = Blueprint("gps", __name__)
PAGE = 50


def gp_target(gp_id: int) -> Target:
    if db.session().get(GeneralPractitioner, gp_id) is None:
        abort(404)
    return Target()


class GpForm(EditForm):
    full_name = StringField(lazy("Name"), validators=[InputRequired(), Length(max=120)])
    rpps = StringField(lazy("RPPS number"), validators=[InputRequired(), Regexp(r"^\d{11}$", message=lazy("11 digits."))])
    phones = PhoneListField(lazy("Phone numbers"))


@blueprint.get("/gps")
@requires("gps.view")
def index():
    """GPs by name, searchable by name, RPPS or phone number."""
    session = db.session()
    query = select(GeneralPractitioner).options(selectinload(GeneralPractitioner.phones)).order_by(GeneralPractitioner.full_name)
    text = (request.args.get("q") or "").strip()
    if text:
        number = try_e164(text)
        conditions = [GeneralPractitioner.full_name.ilike(f"%{text}%"), GeneralPractitioner.rpps == text]
        if number:
            conditions.append(GeneralPractitioner.id.in_(select(GpPhone.gp_id).where(GpPhone.e164 == number)))
        query = query.where(or_(*conditions))
    page = params.page_number()
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    gps = session.scalars(query.limit(PAGE).offset((page - 1) * PAGE)).all()
    return render_template("gps/index.html", gps=gps, q=text, page=page, pages=max(1, (total + PAGE - 1) // PAGE), total=total)


def _saved(gp: GeneralPractitioner) -> tuple[str, str]:
    return _("{name} saved.", name=gp.full_name), url_for(".index", q=gp.rpps)


@blueprint.route("/gps/new", methods=["GET", "POST"])
@requires("gps.edit")
def new():
    """Add a GP to the directory."""
    form = GpForm()
    if request.method == "GET":
        form.fingerprint.data = "new"
    if form.validate_on_submit():
        done, _status = submit(
            form,
            lambda session, who: create_gp(session, who, form.full_name.data, form.rpps.data, form.phones.data),
            done=_saved,
        )
        if done is not None:
            return done
    return render_template("gps/form.html", form=form, title=_("New GP"), gp=None)


@blueprint.route("/gps/<int:gp_id>/edit", methods=["GET", "POST"])
@requires("gps.edit", target=gp_target)
def edit(gp_id: int):
    """Change a GP's name, RPPS or numbers."""
    session = db.session()
    gp = session.get(GeneralPractitioner, gp_id)
    form = (
        GpForm()
        if request.method == "POST"
        else GpForm(full_name=gp.full_name, rpps=gp.rpps, phones=[p.e164 for p in gp.phones], fingerprint=fingerprint(gp_values(gp)))
    )
    status = 200
    if form.validate_on_submit():
        done, status = submit(
            form,
            lambda session, who: update_gp(
                session, who, gp_id, form.full_name.data, form.rpps.data, form.phones.data, expected=form.fingerprint.data
            ),
            done=_saved,
            current=current_values(GeneralPractitioner, gp_id, gp_values),
            back=url_for(".index"),
        )
        if done is not None:
            return done
    return render_template("gps/form.html", form=form, title=gp.full_name, gp=gp, confirm=ConfirmForm()), status


@blueprint.post("/gps/<int:gp_id>/delete")
@requires("gps.edit", target=gp_target)
def delete(gp_id: int):
    """Remove a GP from the directory."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("Nothing was removed: the request was incomplete."), "error")
        return redirect(url_for(".edit", gp_id=gp_id))
    return act(
        lambda session, who: delete_gp(session, who, gp_id, expected=form.fingerprint.data), done=_("Removed."), back=url_for(".index")
    )
