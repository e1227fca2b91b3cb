"""Seniors and the GP directory (phone numbers checked, stored E.164, shown national), the audit log's
visibility, the softphone, self-service (phones, leave, swaps, iCal)."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from audit.models import AuditEntry
from calllog.models import Call, CallOutcome
from core import db
from core.actor import SYSTEM
from directory.models import GeneralPractitioner
from rota import operations
from rota.models import DutyOverride, DutySlot, Leave, Senior, SwapRequest, SwapStatus
from tests.conftest import FIXED_NOW
from tests.web.conftest import body, confirm_preview, csrf_token, through_preview


def test_a_head_edits_a_senior_of_their_department_numbers_in_national_format(app, world, signed_in, read):
    client = signed_in("head")
    url = f"/seniors/{world.senior_a2}/edit"
    page = body(client.get(url))
    assert "01 99 00 01 02" in page  # shown national
    fingerprint = re.search(r'name="fingerprint"[^>]*value="([^"]+)"', page).group(1)
    bad = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "fingerprint": fingerprint,
            "full_name": "Dr Hugo Bernard",
            "phones": "06 12 34 56 78\n12345",
            "active": "y",
            "staff_of": [str(world.dept_a)],
        },
    )
    assert "« 12345 » n'est pas un numéro de téléphone valide." in body(bad) and 'id="phones-error"' in body(bad)
    ok = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "fingerprint": fingerprint,
            "full_name": "Dr Hugo Bernard",
            "phones": "06 12 34 56 78\n+33 1 99 00 01 02",
            "active": "y",
            "staff_of": [str(world.dept_a)],
        },
    )
    assert ok.status_code == 302
    with read() as session:
        assert [p.e164 for p in session.get(Senior, world.senior_a2).phones] == ["+33612345678", "+33199000102"]
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "senior.update")).one()
        assert entry.before["phones"] == ["+33199000102"] and entry.after["phones"] == ["+33612345678", "+33199000102"]
    assert client.get(f"/seniors/{world.senior_b}/edit").status_code == 403


def test_gp_directory_is_edited_by_administrators(app, world, signed_in, read):
    admin = signed_in("admin")
    url = "/gps/new"
    token = csrf_token(admin, url)
    taken = admin.post(
        url,
        data={"csrf_token": token, "fingerprint": "new", "full_name": "Dr Bruno Caron", "rpps": "10001234568", "phones": "01 99 00 02 01"},
    )
    assert "déjà" in body(taken) or "already" in body(taken)
    created = admin.post(
        url,
        data={"csrf_token": token, "fingerprint": "new", "full_name": "Dr Bruno Caron", "rpps": "10001234568", "phones": "01 99 00 02 02"},
    )
    assert created.status_code == 302
    assert "01 99 00 02 02" in body(admin.get("/gps?q=Caron"))
    with read() as session:
        gp = session.scalars(select(GeneralPractitioner).where(GeneralPractitioner.rpps == "10001234568")).one()
        assert [p.e164 for p in gp.phones] == ["+33199000202"]
    head = signed_in("head")
    assert head.get("/gps").status_code == 200 and head.get("/gps/new").status_code == 403


def test_heads_read_only_the_audit_of_their_departments(app, world, signed_in):
    head = signed_in("head")
    page = body(head.get("/audit"))
    assert f"#{world.rotation_a}" in page
    assert head.get(f"/audit/{world.audit_a}").status_code == 200
    assert head.get(f"/audit/{world.audit_b}").status_code == 403
    admin_page = body(signed_in("admin").get("/audit"))
    assert admin_page.count("roulement modifié") == 2 and "rotation.update" not in admin_page  # words, not codes
    assert page.count("roulement modifié") == 1


def test_the_audit_log_reads_as_words_names_and_local_times(app, world, signed_in, read):
    """« garde ponctuelle modifiée », the senior's name rather than ``senior_id 9``, Paris time rather than UTC ISO."""
    head = signed_in("head")
    with read() as session:
        shift = session.scalars(select(DutySlot).where(DutySlot.specialty_id == world.neuro)).first()
        senior = session.get(Senior, shift.senior_id)
        starts = shift.starts_at
    with app.app_context():
        from audit import record

        record(
            db.session(),
            SYSTEM,
            action="shift.update",
            target_type="shift",
            target_id=shift.id,
            department_ids=[world.dept_a],
            before={"senior_id": None, "starts_at": starts.isoformat(), "layer": "backup"},
            after={"senior_id": senior.id, "starts_at": starts.isoformat(), "layer": "primary"},
        )
        entry_id = db.session().scalars(select(AuditEntry.id).order_by(AuditEntry.id.desc())).first()
        db.session().commit()
    page = body(head.get(f"/audit/{entry_id}"))
    assert "garde ponctuelle modifiée" in page and "shift.update" not in page
    assert "<dt>senior</dt>" in page and senior.full_name in page and "senior_id" not in page
    local = starts.astimezone(ZoneInfo("Europe/Paris"))
    assert f"{local:%H:%M}" in page and starts.isoformat() not in page and "principal" in page and "renfort" in page
    assert "le système" in page


def test_softphone_call_ends_connected(app, world, signed_in, read):
    admin = signed_in("admin")
    page = body(admin.get("/softphone"))
    assert "Dr Claire Martin — neurologie, principal" in page
    fields = {
        "csrf_token": csrf_token(admin, "/softphone"),
        "from_number": "01 99 00 02 01",
        "to": "+33199000000",
        "default_callee": "no-answer",
    }
    fields.update({"steps-0-kind": "key", "steps-0-value": "1", "steps-1-kind": "", "steps-2-kind": "", "steps-3-kind": ""})
    # The first number rung (the neurology primary) answers and presses 1.
    callee_index = page.split("Dr Claire Martin — neurologie, principal")[0].rsplit('for="callee_', 1)[1].split('"')[0]
    fields[f"callee_{callee_index}"] = "accepts"
    response = admin.post("/softphone", data=fields)
    text = body(response)
    assert response.status_code == 200
    assert "Mis en relation avec le 01 99 00 01 01" in text
    assert "Ce qu'entend le médecin" in text
    with read() as session:
        # The softphone's call, after the world's two logged calls.
        call = session.scalars(select(Call).where(Call.id.not_in([world.call_a, world.call_b]))).one()
        assert call.outcome is CallOutcome.CONNECTED and call.gp_id == world.gp
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "softphone.call")).one().after["outcome"] == "connected"


def test_softphone_is_for_administrators_only(app, world, signed_in):
    for role in ("head", "manager", "senior"):
        assert signed_in(role).get("/softphone").status_code == 403


def test_a_senior_manages_their_numbers(app, world, signed_in, read):
    client = signed_in("senior")
    page = body(client.get("/me/phones"))
    fingerprint = re.search(r'name="fingerprint"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/me/phones", data={"csrf_token": csrf_token(client, "/me/phones"), "fingerprint": fingerprint, "phones": "+33 6 98 76 54 32"}
    )
    assert response.status_code == 302
    with read() as session:
        assert [p.e164 for p in session.get(Senior, world.senior_a).phones] == ["+33698765432"]
    assert "06 98 76 54 32" in body(client.get("/me/phones"))


def test_a_senior_cannot_declare_leave_that_leaves_a_gap(app, world, signed_in, read):
    client = signed_in("senior")
    # senior_a is on turn until Monday 16 March 08:30; with the skip policy senior_a2 would stand in, but
    # not if senior_a2 is on leave too.
    with read() as session:
        operations.add_leave(session, SYSTEM, world.senior_a2, FIXED_NOW, FIXED_NOW + timedelta(days=5))
        session.commit()
    url = "/me/leave/new"
    refused = through_preview(
        client,
        client.post(
            url, data={"csrf_token": csrf_token(client, url), "starts_at": "2026-03-11T00:00", "ends_at": "2026-03-12T00:00", "reason": "x"}
        ),
    )
    assert "laisserait neurologie sans senior principal" in body(refused)
    fine = through_preview(
        client,
        client.post(
            url,
            data={
                "csrf_token": csrf_token(client, url),
                "starts_at": "2026-04-20T00:00",
                "ends_at": "2026-04-21T00:00",
                "reason": "formation",
            },
        ),
    )
    assert fine.status_code == 302
    with read() as session:
        assert session.scalars(select(Leave).where(Leave.senior_id == world.senior_a)).one().reason == "formation"


def test_swap_asked_accepted_and_approved(app, world, signed_in, read):
    senior = signed_in("senior")
    assert "Dr Hugo Bernard cède" in body(senior.get("/me"))
    response = senior.post(f"/me/swaps/{world.swap_a}/accept", data={"csrf_token": csrf_token(senior, "/me")})
    assert response.status_code == 302
    head_b = signed_in("head")  # head of department A, where swap_a is
    assert "Dr Hugo Bernard" in body(head_b.get("/swaps"))
    assert head_b.post(f"/swaps/{world.swap_b}/approve", data={"csrf_token": csrf_token(head_b, "/swaps")}).status_code == 403
    preview = head_b.get(f"/swaps/{world.swap_a}/approve")
    assert preview.status_code == 200 and "Approuver cet échange ?" in body(preview)
    assert confirm_preview(head_b, preview).status_code == 302
    with read() as session:
        swap = session.get(SwapRequest, world.swap_a)
        assert swap.status is SwapStatus.APPROVED
        override = session.scalars(select(DutyOverride).where(DutyOverride.swap_id == swap.id)).one()
        assert override.replacing_senior_id == world.senior_a
        assert [
            e.action
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.target_type == "swap", AuditEntry.actor_kind == "user").order_by(AuditEntry.id)
            )
        ] == [
            "swap.accept",
            "swap.approve",
        ]
    # The other senior cannot answer a swap not addressed to them.
    assert senior.post(f"/me/swaps/{world.swap_b}/accept", data={"csrf_token": csrf_token(senior, "/me")}).status_code == 403


def test_a_senior_asks_for_a_swap(app, world, signed_in, read):
    senior = signed_in("senior")
    url = "/me/swaps/new"
    token = csrf_token(senior, url)
    response = senior.post(
        url,
        data={
            "csrf_token": token,
            "specialty_id": world.neuro,
            "counterpart_id": world.senior_a2,
            "starts_at": "2026-03-11T08:30",
            "ends_at": "2026-03-12T08:30",
            "note": "mariage",
        },
    )
    assert response.status_code == 302, body(response)[:2000]
    with read() as session:
        swap = session.scalars(select(SwapRequest).where(SwapRequest.note == "mariage")).one()
        assert swap.requester_id == world.senior_a and swap.status is SwapStatus.REQUESTED


def test_a_swap_is_asked_only_of_a_colleague_of_the_specialty(app, world, signed_in, read):
    """The colleagues offered are the specialty's department's members, not every senior; a colleague of
    another department posted anyway is refused on the form, and nothing is asked."""
    senior = signed_in("senior")
    page = body(senior.get(f"/me/swaps/new?specialty={world.neuro}&counterpart={world.senior_b}"))
    offered = re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]+)</option>', page.split('name="counterpart_id"')[1].split("</select>")[0])
    assert sorted(name for _value, name in offered) == ["Dr Hugo Bernard", "Pr Anne Chef"]
    assert 'selected value="' + str(world.senior_b) + '"' not in page  # a pre-fill outside the list is ignored
    token = csrf_token(senior, "/me/swaps/new")
    response = senior.post(
        "/me/swaps/new",
        data={
            "csrf_token": token,
            "specialty_id": world.neuro,
            "counterpart_id": world.senior_b,
            "starts_at": "2026-03-11T08:30",
            "ends_at": "2026-03-12T08:30",
            "note": "cardio",
        },
    )
    assert response.status_code == 200 and 'id="counterpart_id-error"' in body(response)
    with read() as session:
        assert session.scalars(select(SwapRequest).where(SwapRequest.note == "cardio")).first() is None


def test_a_senior_reads_their_specialtys_rota_read_only(world, signed_in):
    senior = signed_in("senior")
    week = body(senior.get(f"/specialties/{world.neuro}/week?start=2026-03-16"))
    assert "Read-only" in week or "Lecture seule" in week
    assert f"/me/swaps/new?specialty={world.neuro}&amp;counterpart={world.senior_a2}" in senior.get(
        f"/specialties/{world.neuro}/week?start=2026-03-16"
    ).get_data(as_text=True)  # next week is Dr Hugo Bernard's: his duty is a pick
    assert "/rotations/" not in week and "/shifts/new" not in week  # no edit link
    assert senior.get(f"/specialties/{world.cardio}/week").status_code == 403
    departments = body(senior.get("/departments"))
    assert "Neurosciences" in departments and "Cardiologie" not in departments
    board = senior.get("/board").get_data(as_text=True)  # the board links only the rotas she may read
    assert f"/specialties/{world.neuro}/week" in board and f"/specialties/{world.cardio}/week" not in board


def test_ical_feed_lists_the_seniors_duties(app, world, signed_in, read):
    from accounts.models import User

    token = world.ical_secret
    with read() as session:  # only a hash of the secret is stored, as for API tokens and feeds
        stored = session.get(User, world.users["senior"]).ical_token_hash
        assert stored is not None and token not in stored and len(stored) == 64
    feed = app.test_client().get(f"/ical/{token}.ics")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    text = feed.get_data(as_text=True)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and "SUMMARY:Garde neurologie (primaire)" in text
    assert "DTSTART;TZID=Europe/Paris:20260309T083000" in text and "BEGIN:VTIMEZONE" in text  # Monday 08:30 Paris
    assert app.test_client().get("/ical/" + "x" * 43 + ".ics").status_code == 404
    client = signed_in("senior")
    made = client.post("/me/calendar/new", data={"csrf_token": csrf_token(client, "/me/calendar")})
    assert app.test_client().get(f"/ical/{token}.ics").status_code == 404  # the old link stopped working
    new_url = re.search(r'value="(https?://[^"]+\.ics)"', made.get_data(as_text=True)).group(1)
    assert app.test_client().get(new_url.split("example.org", 1)[-1].split("localhost", 1)[-1]).status_code == 200
    assert new_url not in client.get("/me/calendar").get_data(as_text=True)  # shown once


def test_a_softphone_call_not_connected_says_how_it_ended_in_french(app, world, signed_in, read):
    """Nobody answers and the GP hangs up while the line hunts: the result names the outcome as the call
    log does (« abandon pendant la recherche »…), never the stored value (abandoned_while_hunting)."""
    admin = signed_in("admin")
    page = body(admin.get("/softphone"))
    fields = {
        "csrf_token": csrf_token(admin, "/softphone"),
        "from_number": "01 99 00 02 01",
        "to": "+33199000000",
        "default_callee": "no-answer",
        "hang_up_at": "20",
    }
    fields.update({"steps-0-kind": "key", "steps-0-value": "1", "steps-1-kind": "", "steps-2-kind": "", "steps-3-kind": ""})
    for index in re.findall(r'for="callee_(\d+)"', page):
        fields[f"callee_{index}"] = "no-answer"
    text = body(admin.post("/softphone", data=fields))
    with read() as session:
        call = session.scalars(select(Call).where(Call.id.not_in([world.call_a, world.call_b]))).one()
        assert call.outcome is not None and call.outcome is not CallOutcome.CONNECTED
        stored = call.outcome.value
    from reports.definitions import OUTCOME_LABELS
    from web.i18n import translate

    french = translate(OUTCOME_LABELS[stored], "fr")
    outcome = text.split('class="outcome not-connected" role="status">')[1].split("</p>")[0]
    assert outcome == f"Pas de mise en relation — {french}", outcome
    assert stored not in outcome and french != OUTCOME_LABELS[stored]
