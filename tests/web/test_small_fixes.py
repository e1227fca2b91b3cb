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
