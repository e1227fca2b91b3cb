"""Whoever changes the rota — a head on a page, software with an API token, IT at the command line, a
file imported — the change is in the audit log, with who it was and from where, because the operation
writes the entry itself. Then the head reads all of it on the audit page."""

from __future__ import annotations

from sqlalchemy import select

from api.tokens import create_token
from audit.models import AuditEntry
from core.actor import SYSTEM
from rota.models import Department
from tests.conftest import FIXED_NOW
from tests.web.conftest import body, csrf_token, through_preview

CSV = """date;début;fin;médecin;spécialité;ligne
16/03/2026;08:30;18:30;Dr Claire Martin;neurology;principal
17/03/2026;08:30;18:30;Dr Hugo Bernard;neurology;backup
"""


def _entries(session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action, AuditEntry.actor_kind != "system")))


def test_web_api_cli_and_import_changes_are_all_audited(app, world, signed_in, read, tmp_path):
    with read() as session:
        token, secret = create_token(session, SYSTEM, "planning", [session.get(Department, world.dept_a)], read_only=False, at=FIXED_NOW)
        token_id = token.id
        session.commit()

    # A head on the web page.
    head = signed_in("head")
    path = f"/specialties/{world.neuro}/shifts/new"
    form = {"csrf_token": csrf_token(head, path), "fingerprint": "new", "layer": "primary"}
    form |= {"senior_id": world.head_a_senior, "starts_at": "2026-03-12T09:30", "ends_at": "2026-03-12T12:00"}
    assert through_preview(head, head.post(path, data=form)).status_code == 302

    # Software with an API token.
    shift = {"specialty": "neurology", "senior_id": world.senior_a, "starts_at": "2026-03-13T08:00:00Z", "ends_at": "2026-03-13T12:00:00Z"}
    api = app.test_client().post("/api/shifts", json=shift, headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 201, api.get_json()

    # IT at the command line, then a file imported.
    runner = app.test_cli_runner()
    cli = runner.invoke(
        args=["users", "create", "it@hopital.fr", "--name", "IT Desk", "--role", "admin", "--password-stdin"],
        input="a long enough IT password\n",
    )
    assert cli.exit_code == 0, cli.output
    (tmp_path / "mars.csv").write_text(CSV, encoding="utf-8")
    imported = runner.invoke(args=["rota", "import", str(tmp_path / "mars.csv")])
    assert imported.exit_code == 0, imported.output
    (tmp_path / "gps.csv").write_text("name;rpps;phones\nDr Paul Roux;10009876543;01 99 00 03 01\n", encoding="utf-8")
    directory = runner.invoke(args=["gps", "import", str(tmp_path / "gps.csv")])
    assert directory.exit_code == 0, directory.output

    with read() as session:
        created = {entry.actor_kind: entry for entry in _entries(session, "shift.create")}
        assert set(created) == {"user", "token"}
        by_web, by_api = created["user"], created["token"]
        assert by_web.actor == "Pr Anne Chef <head.a@hopital.fr>" and by_web.actor_user_id == world.users["head"]
        assert by_web.remote_addr == "127.0.0.1" and by_web.department_ids == [world.dept_a]
        assert by_api.actor == f"API token #{token_id} planning" and by_api.actor_token_id == token_id and by_api.actor_user_id is None
        assert by_api.after["senior_id"] == world.senior_a and by_api.department_ids == [world.dept_a]
        (by_cli,) = _entries(session, "user.create")
        assert by_cli.actor_kind == "cli" and by_cli.actor.startswith("flask users create it@hopital.fr (")
        (by_import,) = _entries(session, "shift.import")
        assert by_import.actor_kind == "cli" and by_import.actor.startswith(f"flask rota import {tmp_path / 'mars.csv'} (")
        assert by_import.after["shifts"] == 2 and by_import.after["source"] == "mars.csv"
        assert by_import.department_ids == [world.dept_a]
        (gps,) = _entries(session, "gp.import")
        assert gps.actor_kind == "cli" and gps.after == {"source": "gps.csv", "created": ["10009876543"], "updated": []}

    # The head reads the page, web and API and import alike (the account change is IT's: administrators only).
    page = body(head.get("/audit"))
    assert "Pr Anne Chef" in page and f"API token #{token_id} planning" in page and "flask rota import" in page
