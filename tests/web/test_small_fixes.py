"""Issue 12's small ones, as a person meets them: a new account is a senior's unless chosen otherwise,
several heads or departments are chosen without Ctrl-click, the month reads without colour."""

from __future__ import annotations

import re

from rota.models import Department
from tests.web.conftest import body, csrf_token


def test_a_new_account_defaults_to_the_least_privilege(world, signed_in):
    page = body(signed_in("admin").get("/users/new"))
    options = re.findall(r'<option([^>]*) value="(\w+)"', page.split('name="role"')[1].split("</select>")[0])
    assert [value for _, value in options] == ["senior", "secretariat", "manager", "head", "admin"]
    assert [value for attrs, value in options if "selected" in attrs] == ["senior"]


def test_heads_and_departments_are_chosen_without_ctrl_click(world, signed_in, read):
    client = signed_in("admin")
    for url in (f"/departments/{world.dept_a}/edit", f"/seniors/{world.senior_a}/edit"):
        page = body(client.get(url))
        assert "multiple" not in page and "Ctrl" not in page, url
    url = f"/departments/{world.dept_a}/edit"
    page = body(client.get(url))
    assert 'name="heads-0"' in page and 'name="heads-1"' in page
    fingerprint = re.search(r'name="fingerprint" type="hidden" value="([^"]+)"', page).group(1)
    form = {"name": "Neurosciences", "timezone": "Europe/Paris", "leave_policy": "skip", "swaps_need_approval": "y"}
    form |= {"public_holidays": "", "heads-0": str(world.senior_a), "heads-1": str(world.head_a_senior), "heads-2": ""}
    saved = client.post(url, data={"csrf_token": csrf_token(client, url), "fingerprint": fingerprint, **form})
    assert saved.status_code == 302, body(saved)
    with read() as session:
        assert [link.senior_id for link in session.get(Department, world.dept_a).head_links] == [world.senior_a, world.head_a_senior]
    staff = body(client.get(f"/seniors/{world.senior_a}/edit"))
    assert 'type="checkbox" name="staff_of"' in staff or ('name="staff_of"' in staff and 'type="checkbox"' in staff)


def test_the_month_says_primary_backup_and_conflict_in_words(world, signed_in):
    page = body(signed_in("head").get(f"/specialties/{world.neuro}/month?month=2026-03"))
    month = page.split('<table class="month">')[1]
    assert "Princ." in month and "Sec." in month
    assert re.search(r"Princ\.</span>\s*Principal", page.split('<table class="month">')[0])  # the key says what the tags mean


def test_flask_users_create_makes_a_seniors_account_unless_told_otherwise(world, runner, french_cli, read):
    from sqlalchemy import select

    from accounts.models import Role, User

    made = runner.invoke(
        args=["users", "create", "hugo@hopital.fr", "--name", "Dr Hugo Bernard", "--senior-id", str(world.senior_a2), "--password-stdin"],
        input="a strong first password\n",
    )
    assert made.exit_code == 0, made.output
    assert "(senior)" in made.output
    # Without a senior record and without --role: refused, not quietly an administrator.
    refused = runner.invoke(
        args=["users", "create", "it@hopital.fr", "--name", "IT", "--password-stdin"], input="a strong first password\n"
    )
    assert refused.exit_code != 0 and "linked to their senior record" in refused.output
    admin = runner.invoke(
        args=["users", "create", "it@hopital.fr", "--name", "IT", "--role", "admin", "--password-stdin"], input="a strong first password\n"
    )
    assert admin.exit_code == 0, admin.output
    with read() as session:
        roles = dict(session.execute(select(User.email, User.role).where(User.email.in_(["hugo@hopital.fr", "it@hopital.fr"]))).all())
    assert roles == {"hugo@hopital.fr": Role.SENIOR, "it@hopital.fr": Role.ADMIN}
    # The help says so, in French for a French reader of the terminal.
    help_text = " ".join(french_cli("users", "create", "--help").output.split())
    assert "Créer un compte (celui d’un senior sauf si --role" in help_text
    assert "les moindres droits" in help_text and "default: senior" in help_text


def test_the_audit_log_and_the_reports_speak_french_about_swaps_slots_and_calls_without_specialty(world, signed_in, read, frozen_clock):
    """What the every-page browser test found in English on French pages: a swap's changed fields
    (« answered at »), the urgent slots' publication (« 10 urgent slot(s) published »), the reports'
    « (no specialty) » row."""
    from sqlalchemy import select

    from audit.models import AuditEntry
    from calllog import events
    from calllog import operations as calllog

    admin = signed_in("admin")
    log = body(admin.get("/audit"))
    assert "answered at" not in log and "répondu le" in log  # the world's cardiology swap was accepted
    with read() as session:
        published = session.scalars(select(AuditEntry).where(AuditEntry.action == "urgent_slot.publish")).first()
        assert published is not None and published.summary.isdigit()
    assert "slot(s)" not in log and re.search(r"créneaux urgents publiés · \d+", log)
    # A call that ended in the menu, before any specialty was chosen: its row in the reports' tables.
    with read() as session:
        call = calllog.open_call(session, "CA" + "c" * 32, "+33199000201", "+33199000000", frozen_clock[0])
        calllog.apply(session, call, [events.CallFinished()], frozen_clock[0])
        session.commit()
    report = body(admin.get("/reports/"))
    assert "(no specialty)" not in report and "(sans spécialité)" in report


def test_an_english_reader_reads_the_specialties_english_names(world, signed_in):
    """The hospital names each specialty in both languages: an English page uses the English one."""
    client = signed_in("head")
    assert "Nouvelle garde ponctuelle — neurologie" in body(client.get(f"/specialties/{world.neuro}/shifts/new"))

    def choose(language: str) -> None:
        token = csrf_token(client, "/board")
        assert client.post("/language", data={"csrf_token": token, "language": language, "next": "/board"}).status_code == 302

    choose("en")
    assert "New single shift — neurology" in body(client.get(f"/specialties/{world.neuro}/shifts/new"))
    board = body(client.get("/board"))
    assert "neurology" in board and "neurologie" not in board
