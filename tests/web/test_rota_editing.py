"""Heads keep their rota right: rotations, shifts, overrides and leave, checked, audited, never silently
overwritten; what they change is what the board and the hotline see."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from audit.models import AuditEntry
from core.actor import SYSTEM
from rota import operations
from rota.models import DutySlot, Leave, Rotation
from rota.queries import on_duty_hunt_list
from tests.conftest import FIXED_NOW
from tests.web.conftest import body, confirm_preview, csrf_token, through_preview

FINGERPRINT = re.compile(
    r'name="fingerprint" type="hidden" value="([^"]+)"|id="fingerprint" name="fingerprint" type="hidden" value="([^"]+)"'
)


def fingerprint_of(page: str) -> str:
    found = re.search(r'name="fingerprint"[^>]*value="([^"]+)"', page) or re.search(r'value="([^"]+)"[^>]*name="fingerprint"', page)
    assert found, "no fingerprint in the form"
    return found.group(1)


def rotation_form(world, **changes) -> dict:
    data = {
        "name": "Jour",
        "layer": "primary",
        "weekdays": ["1", "2", "3", "4", "5", "6", "7"],
        "start_time": "08:30",
        "end_time": "08:30",
        "turn_days": "7",
        "handoff_time": "08:30",
        "anchor_date": "2026-03-09",
        "members-0": str(world.senior_a),
        "members-1": str(world.senior_a2),
        "members-2": "",
        "valid_from": "2026-02-08T00:00",
        "valid_until": "",
    }
    data.update(changes)
    return data


def test_a_head_adds_a_shift_and_the_board_and_hotline_follow(app, world, signed_in, read):
    client = signed_in("head")
    page = client.get(f"/specialties/{world.neuro}/shifts/new")
    assert page.status_code == 200
    response = through_preview(
        client,
        client.post(
            f"/specialties/{world.neuro}/shifts/new",
            data={
                "csrf_token": csrf_token(client, f"/specialties/{world.neuro}/shifts/new"),
                "fingerprint": "new",
                "senior_id": world.head_a_senior,
                "layer": "primary",
                "starts_at": "2026-03-10T09:30",
                "ends_at": "2026-03-10T12:00",
            },
        ),
    )
    assert response.status_code == 302, body(response)
    board = body(client.get("/board"))
    assert "Pr Anne Chef" in board.split("neurologie")[1].split("Second")[0]  # primary of neurology now
    with read() as session:
        hunt = on_duty_hunt_list(session, world.neuro, FIXED_NOW)
        assert hunt[0].name == "Pr Anne Chef" and hunt[0].layer == "primary"
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "shift.create", AuditEntry.actor_kind == "user")).one()
        assert entry.actor.startswith("Pr Anne Chef") and entry.before is None and entry.after["senior_id"] == world.head_a_senior
        assert entry.department_ids == [world.dept_a]


def test_invalid_input_is_shown_next_to_the_field(app, world, signed_in, read):
    client = signed_in("head")
    token = csrf_token(client, f"/specialties/{world.neuro}/shifts/new")
    page = body(
        through_preview(
            client,
            client.post(
                f"/specialties/{world.neuro}/shifts/new",
                data={
                    "csrf_token": token,
                    "fingerprint": "new",
                    "senior_id": world.senior_a,
                    "layer": "primary",
                    "starts_at": "2026-03-12T18:00",
                    "ends_at": "2026-03-12T08:00",
                },
            ),
        )
    )
    assert 'id="ends_at-error"' in page and "Doit être après le début." in page
    assert 'aria-describedby="ends_at-error"' in page
    page = body(
        through_preview(
            client,
            client.post(
                f"/specialties/{world.neuro}/rotations/new",
                data={"csrf_token": token, **rotation_form(world, name="", weekdays=[], **{"members-0": "", "members-1": ""})},
            ),
        )
    )
    assert 'id="name-error"' in page and "Choisissez au moins un jour." in page and "Choisissez au moins un senior." in page
    with read() as session:
        assert (
            session.scalar(
                select(DutySlot).where(
                    DutySlot.starts_at > FIXED_NOW, DutySlot.specialty_id == world.neuro, DutySlot.ends_at < FIXED_NOW.replace(day=13)
                )
            )
            is None
        )


def test_a_head_edits_a_rotation_and_the_audit_keeps_before_and_after(app, world, signed_in, read):
    client = signed_in("head")
    url = f"/rotations/{world.rotation_a}/edit"
    form = body(client.get(url))
    response = through_preview(
        client,
        client.post(
            url,
            data={
                "csrf_token": csrf_token(client, url),
                "fingerprint": fingerprint_of(form),
                **rotation_form(world, name="Garde 24 h", **{"members-0": str(world.senior_a2), "members-1": str(world.senior_a)}),
            },
        ),
    )
    assert response.status_code == 302, body(response)[:3000]
    with read() as session:
        rotation = session.get(Rotation, world.rotation_a)
        assert rotation.name == "Garde 24 h" and [m.senior_id for m in rotation.members] == [world.senior_a2, world.senior_a]
        entry = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "rotation.update", AuditEntry.target_id == world.rotation_a, AuditEntry.actor != "system"
            )
        ).one()
        assert entry.before["name"] == "Jour" and entry.after["name"] == "Garde 24 h"
        assert entry.before["members"] == [world.senior_a, world.senior_a2] and entry.after["members"] == [world.senior_a2, world.senior_a]


def test_two_heads_editing_the_same_rotation_cannot_overwrite_each_other(app, world, signed_in, read):
    first, second = signed_in("head"), signed_in("admin")
    url = f"/rotations/{world.rotation_a}/edit"
    opened_by_first = fingerprint_of(body(first.get(url)))
    opened_by_second = fingerprint_of(body(second.get(url)))
    assert (
        through_preview(
            first,
            first.post(
                url, data={"csrf_token": csrf_token(first, url), "fingerprint": opened_by_first, **rotation_form(world, name="Version A")}
            ),
        ).status_code
        == 302
    )
    late = through_preview(
        second,
        second.post(
            url, data={"csrf_token": csrf_token(second, url), "fingerprint": opened_by_second, **rotation_form(world, name="Version B")}
        ),
    )
    assert late.status_code == 409
    page = body(late)
    assert "Quelqu'un d'autre l'a modifié depuis que vous l'avez ouvert" in page and "Version A" in page
    with read() as session:
        assert session.get(Rotation, world.rotation_a).name == "Version A"
    # Having seen the other version, saving again is a deliberate choice, and works.
    again = through_preview(
        second,
        second.post(
            url, data={"csrf_token": csrf_token(second, url), "fingerprint": fingerprint_of(page), **rotation_form(world, name="Version B")}
        ),
    )
    assert again.status_code == 302
    with read() as session:
        assert session.get(Rotation, world.rotation_a).name == "Version B"


def test_deleting_something_changed_since_is_refused(app, world, signed_in, read):
    client = signed_in("head")
    edit = f"/shifts/{world.shift_a}/edit"
    stale = fingerprint_of(body(client.get(edit)))
    form = body(client.get(edit))
    through_preview(
        client,
        client.post(
            edit,
            data={
                "csrf_token": csrf_token(client, edit),
                "fingerprint": fingerprint_of(form),
                "senior_id": world.senior_a2,
                "layer": "primary",
                "starts_at": "2026-03-10T09:00",
                "ends_at": "2026-03-10T17:00",
            },
        ),
    )
    # Stale: refused at once (the preview runs the removal, which checks the fingerprint).
    response = client.post(f"/shifts/{world.shift_a}/delete", data={"csrf_token": csrf_token(client, edit), "fingerprint": stale})
    assert response.status_code == 302
    with read() as session:
        assert session.get(DutySlot, world.shift_a) is not None
    fresh = fingerprint_of(body(client.get(edit)))
    asked = client.post(f"/shifts/{world.shift_a}/delete", data={"csrf_token": csrf_token(client, edit), "fingerprint": fresh})
    assert confirm_preview(client, asked).status_code == 302
    with read() as session:
        assert session.get(DutySlot, world.shift_a) is None
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "shift.delete")).one().after is None


def test_a_head_is_refused_another_department(app, world, signed_in, read):
    client = signed_in("head")
    assert client.get(f"/specialties/{world.cardio}/shifts/new").status_code == 403
    token = csrf_token(client, "/account")
    response = through_preview(
        client,
        client.post(
            f"/specialties/{world.cardio}/shifts/new",
            data={
                "csrf_token": token,
                "fingerprint": "new",
                "senior_id": world.senior_b,
                "layer": "primary",
                "starts_at": "2026-03-12T08:30",
                "ends_at": "2026-03-12T18:30",
            },
        ),
    )
    assert response.status_code == 403
    assert client.post(f"/rotations/{world.rotation_b}/delete", data={"csrf_token": token, "fingerprint": "x"}).status_code == 403
    assert client.get(f"/specialties/{world.cardio}/week").status_code == 200  # reading is allowed
    assert "Nouveau roulement" not in body(client.get(f"/specialties/{world.cardio}/week"))
    with read() as session:
        assert session.get(Rotation, world.rotation_b) is not None


def test_a_manager_reads_every_rota_and_edits_nothing(app, world, signed_in):
    client = signed_in("manager")
    week = client.get(f"/specialties/{world.neuro}/week")
    assert week.status_code == 200 and "Modifier" not in body(week)
    assert client.get(f"/specialties/{world.cardio}/month").status_code == 200
    assert client.get(f"/rotations/{world.rotation_a}/edit").status_code == 403
    assert client.post(f"/specialties/{world.neuro}/overrides/new", data={"csrf_token": csrf_token(client, "/account")}).status_code == 403


def test_the_week_marks_gaps_and_conflicts(app, world, signed_in, read):
    client = signed_in("head")
    # Leave for the senior on turn this week: with the default skip policy the next one stands in, but the
    # shift of senior_a2 as backup and the rotation make senior_a2 hold two places: no gap. End the rotation
    # instead, so Thursday has nobody primary.
    url = f"/rotations/{world.rotation_a}/edit"
    form = body(client.get(url))
    through_preview(
        client,
        client.post(
            url,
            data={
                "csrf_token": csrf_token(client, url),
                "fingerprint": fingerprint_of(form),
                **rotation_form(world, valid_until="2026-03-12T08:30"),
            },
        ),
    )
    page = body(client.get(f"/specialties/{world.neuro}/week?start=2026-03-09"))
    assert "seg gap" in page and "TROU" in page and re.search(r"\b1 trou\b|\b\d+ trous\b", page) and "(s)" not in page
    month = body(client.get(f"/specialties/{world.neuro}/month?month=2026-03"))
    assert "seg gap" in month
    # A senior on duty in two specialties at once is a conflict. (Only an administrator may lend
    # cardiology's senior to neurology: they are not a member of the head's department.)
    admin = signed_in("admin")
    token = csrf_token(admin, f"/specialties/{world.neuro}/shifts/new")
    through_preview(
        admin,
        admin.post(
            f"/specialties/{world.neuro}/shifts/new",
            data={
                "csrf_token": token,
                "fingerprint": "new",
                "senior_id": world.senior_b,
                "layer": "primary",
                "starts_at": "2026-03-12T10:00",
                "ends_at": "2026-03-12T12:00",
            },
        ),
    )
    page = body(client.get(f"/specialties/{world.neuro}/week?start=2026-03-09"))
    assert "seg primary conflict" in page and "aussi de garde pour une autre spécialité" in page


def test_leave_of_a_senior_of_the_department(app, world, signed_in, read):
    client = signed_in("head")
    url = f"/seniors/{world.senior_a2}/leave/new"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "fingerprint": "new",
            "starts_at": "2026-04-01T00:00",
            "ends_at": "2026-04-08T00:00",
            "reason": "congés",
        },
    )
    assert "Ce que cela change" in body(response)  # the effect first
    with read() as session:
        assert session.scalars(select(Leave).where(Leave.reason == "congés")).first() is None
    assert confirm_preview(client, response).status_code == 302
    with read() as session:
        leave = session.scalars(select(Leave).where(Leave.reason == "congés")).one()
        assert leave.starts_at.isoformat() == "2026-03-31T22:00:00+00:00"  # Paris summer time, stored UTC
    assert client.get(f"/seniors/{world.senior_b}/leave/new").status_code == 403


def test_a_shift_in_2020_and_a_second_primary_are_saved_only_once_confirmed(app, world, signed_in, read):
    client = signed_in("head")
    url = f"/specialties/{world.neuro}/shifts/new"
    shift = {"fingerprint": "new", "senior_id": world.head_a_senior, "layer": "backup"}
    shift |= {"starts_at": "2020-03-12T08:30", "ends_at": "2020-03-12T18:30"}
    page = body(through_preview(client, client.post(url, data={"csrf_token": csrf_token(client, url), **shift})))
    assert "Cela s’est terminé il y a plus de 31 jours : vérifiez l’année, ou confirmez pour changer le passé." in page
    assert 'name="confirm"' in page
    saved = through_preview(client, client.post(url, data={"csrf_token": csrf_token(client, url), **shift, "confirm": "y"}))
    assert saved.status_code == 302 and "start=2020-03-12" in saved.headers["Location"]
    # Dr Hugo Bernard is backup by a single shift now (conftest); a second primary over Dr Claire Martin's
    # rotation is the rotation's place taken (not two primaries), but over a primary shift it must be confirmed.
    first = {**shift, "layer": "primary", "starts_at": "2026-03-12T08:30", "ends_at": "2026-03-12T18:30"}
    assert through_preview(client, client.post(url, data={"csrf_token": csrf_token(client, url), **first})).status_code == 302
    second = {**first, "senior_id": world.senior_a, "starts_at": "2026-03-12T12:00"}
    page = body(through_preview(client, client.post(url, data={"csrf_token": csrf_token(client, url), **second})))
    assert "Pr Anne Chef est déjà principal du" in page and 'id="layer-error"' in page and 'name="confirm"' in page
    # The same senior twice: refused, with no box to tick.
    again = {**first, "starts_at": "2026-03-12T10:00"}
    page = body(through_preview(client, client.post(url, data={"csrf_token": csrf_token(client, url), **again, "confirm": "y"})))
    assert "Pr Anne Chef a déjà une garde ponctuelle ici du" in page and 'name="confirm"' not in page
    with read() as session:
        kept = session.scalars(select(DutySlot).where(DutySlot.senior_id.in_([world.head_a_senior, world.senior_a]))).all()
        assert sorted(s.starts_at.year for s in kept) == [2020, 2026]


def test_delete_asks_first_and_returns_to_the_week_of_the_shift(app, world, signed_in, read):
    client = signed_in("head")
    edit = f"/shifts/{world.shift_a}/edit"
    form = body(client.get(edit))
    # Move the shift two weeks on (Dr Claire Martin's turn: Dr Hugo Bernard is her backup), then delete it.
    through_preview(
        client,
        client.post(
            edit,
            data={
                "csrf_token": csrf_token(client, edit),
                "fingerprint": fingerprint_of(form),
                "senior_id": world.senior_a2,
                "layer": "backup",
                "starts_at": "2026-03-24T09:00",
                "ends_at": "2026-03-24T17:00",
            },
        ),
    )
    page = body(client.get(edit))
    assert f'href="/shifts/{world.shift_a}/delete"' in page
    response = client.get(f"/shifts/{world.shift_a}/delete")
    asked = body(response)
    assert "Supprimer cette garde ponctuelle ?" in asked and "Dr Hugo Bernard" in asked and "24/03/2026 09:00" in asked
    # Its effect: Dr Hugo Bernard was the backup then; nobody is after.
    assert "plus de secours (c’était Dr Hugo Bernard)" in asked and "Revenir au formulaire" not in asked
    with read() as session:
        assert session.get(DutySlot, world.shift_a) is not None  # asking removed nothing
    done = confirm_preview(client, response)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/specialties/{world.neuro}/week?start=2026-03-24")
    with read() as session:
        assert session.get(DutySlot, world.shift_a) is None


def test_changed_by_someone_else_shows_their_version_not_yours(app, world, signed_in, read):
    first, second = signed_in("head"), signed_in("admin")
    edit = f"/shifts/{world.shift_a}/edit"
    opened_by_second = fingerprint_of(body(second.get(edit)))
    shift = {"senior_id": world.senior_a2, "layer": "backup", "starts_at": "2026-03-10T09:00"}
    theirs = {**shift, "ends_at": "2026-03-10T15:00"}
    assert (
        through_preview(
            first,
            first.post(edit, data={"csrf_token": csrf_token(first, edit), "fingerprint": fingerprint_of(body(first.get(edit))), **theirs}),
        ).status_code
        == 302
    )
    late = through_preview(
        second,
        second.post(
            edit, data={"csrf_token": csrf_token(second, edit), "fingerprint": opened_by_second, **shift, "ends_at": "2026-03-10T19:45"}
        ),
    )
    assert late.status_code == 409
    page = body(late)
    theirs_shown = page.split("La version enregistrée par l'autre personne")[1].split("</section>")[0]
    assert "10/03/2026 15:00" in theirs_shown and "19:45" not in theirs_shown
    assert 'value="2026-03-10T19:45"' in page  # the form keeps what this person typed


def test_an_edit_shows_the_backup_it_takes_away_and_a_rota_changed_meanwhile_is_shown_again(app, world, signed_in, read):
    """Shortening Dr Hugo Bernard's backup shift (09:00 to 18:00 Paris) to start at 13:00: the preview says
    the morning loses its backup, by name, in local time, and nothing is saved yet. If the rota changes
    between the preview and the confirmation, the confirmation shows the new effect instead of saving."""
    client = signed_in("head")
    url = f"/shifts/{world.shift_a}/edit"
    data = {
        "csrf_token": csrf_token(client, url),
        "fingerprint": fingerprint_of(body(client.get(url))),
        "senior_id": world.senior_a2,
        "layer": "backup",
        "starts_at": "2026-03-10T13:00",
        "ends_at": "2026-03-10T18:00",
    }
    preview = client.post(url, data=data)
    page = body(preview)
    assert preview.status_code == 200 and "Ce que cela change" in page
    assert "10/03/2026 09:00 CET → 10/03/2026 13:00 CET · plus de secours (c’était Dr Hugo Bernard)" in page
    with read() as session:
        assert session.get(DutySlot, world.shift_a).starts_at == FIXED_NOW - timedelta(hours=1)  # not saved
        # Meanwhile an administrator books another backup that morning.
        operations.add_shift(session, SYSTEM, world.neuro, world.head_a_senior, "backup", FIXED_NOW, FIXED_NOW + timedelta(hours=1))
        session.commit()
    again = confirm_preview(client, preview)
    assert again.status_code == 200 and "Le planning a changé depuis l’aperçu que vous avez vu" in body(again)
    with read() as session:
        assert session.get(DutySlot, world.shift_a).starts_at == FIXED_NOW - timedelta(hours=1)
    assert confirm_preview(client, again).status_code == 302
    with read() as session:
        assert session.get(DutySlot, world.shift_a).starts_at == FIXED_NOW + timedelta(hours=3)


def test_a_senior_sees_who_stands_in_before_declaring_leave(app, world, signed_in, read):
    client = signed_in("senior")
    data = {"csrf_token": csrf_token(client, "/me/leave/new"), "starts_at": "2026-03-11T00:00", "ends_at": "2026-03-12T00:00"}
    preview = client.post("/me/leave/new", data={**data, "reason": "formation"})
    page = body(preview)
    assert preview.status_code == 200 and "principal : Dr Claire Martin → Dr Hugo Bernard" in page
    with read() as session:
        assert session.scalars(select(Leave).where(Leave.reason == "formation")).first() is None
    done = confirm_preview(client, preview)
    assert done.status_code == 302 and done.headers["Location"].endswith("/me")
    with read() as session:
        assert session.scalars(select(Leave).where(Leave.reason == "formation")).one().senior_id == world.senior_a
