"""The call log and the callback requests on the web, as each role meets them: what each one sees,
a call opening on its attempts and timeline, a request marked done (audited), and the GP's message
played through the app from the simulated Twilio with the account's credentials.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import select

from audit.models import AuditEntry
from calllog.models import Call, CallbackRequest, CallbackStatus
from core import db
from notify.providers import use_twilio_http_client
from simulator import FlaskTransport, Key, Message, NoAnswer, Simulator
from tests.conftest import AUTH_TOKEN, HOTLINE, PUBLIC_BASE_URL
from tests.web.conftest import body, csrf_token, sign_in


def test_the_call_log_shows_each_role_its_own_calls(app, world, signed_in):
    manager, head, head_b = signed_in("manager"), signed_in("head"), signed_in("head_b")
    everything = body(manager.get("/calls"))
    assert "Journal des appels" in everything and "2 appels" in everything
    assert "neurologie" in everything and "cardiologie" in everything and "Dr Alice Renaud" in everything
    assert "rappel demandé" in everything
    mine = body(head.get("/calls"))
    assert "1 appel" in mine and "neurologie" in mine and "cardiologie" not in mine
    assert f"/calls/{world.call_b}" not in mine and f"/calls/{world.call_a}" in mine
    assert "cardiologie" in body(head_b.get("/calls")) and f"/calls/{world.call_a}" not in body(head_b.get("/calls"))
    # Another department's specialty in the filter shows nothing rather than their calls.
    assert f"/calls/{world.call_b}" not in body(head.get(f"/calls?specialty={world.cardio}"))
    assert head.get(f"/calls/{world.call_b}").status_code == 403
    assert signed_in("senior").get("/calls").status_code == 403


def test_the_call_log_filters_by_day_and_outcome_and_refuses_nonsense(app, world, signed_in):
    manager = signed_in("manager")
    assert "1 appel" in body(manager.get(f"/calls?specialty={world.neuro}"))
    assert "0 appel" in body(manager.get("/calls?outcome=connected"))
    assert "2 appels" in body(manager.get("/calls?outcome=callback_requested"))
    assert "Aucun appel ce jour-là." in body(manager.get("/calls?day=2026-03-09"))
    bad = manager.get("/calls?outcome=lost")
    assert bad.status_code == 400 and "« outcome » doit être une des valeurs proposées dans la liste." in body(bad)
    assert manager.get("/calls?day=3026-01-01").status_code == 400
    assert manager.get("/calls?page=0").status_code == 400


def test_a_call_opens_on_its_attempts_and_timeline(app, world, signed_in):
    page = body(signed_in("head").get(f"/calls/{world.call_a}"))
    attempts = page[page.index('id="attempts"') : page.index('id="timeline-title"')]
    assert "Dr Claire Martin" in attempts and "principal" in attempts and "pas de réponse" in attempts
    timeline = re.sub(r"\s+", " ", page[page.index('id="timeline"') :])
    steps = [
        "L'appel du médecin arrive sur la ligne",
        "Appel de Dr Claire Martin (principal)",
        "Dr Claire Martin : pas de réponse",
        "On propose un rappel au médecin, qui laisse une demande",
        "L'appel du médecin se termine : rappel demandé",
    ]
    positions = [timeline.index(step) for step in steps]
    assert positions == sorted(positions)
    assert "+28 s" in timeline and "+45 s" in timeline


def test_callback_requests_follow_the_specialty_of_each_role(app, world, signed_in):
    senior, head_b, manager = signed_in("senior"), signed_in("head_b"), signed_in("manager")
    own = body(senior.get("/callbacks"))
    assert "Demandes de rappel" in own and f'id="request-{world.request_a}"' in own and f'id="request-{world.request_b}"' not in own
    assert "Dr Alice Renaud" in own and "Ouvertes (1)" in own
    assert f'id="request-{world.request_b}"' in body(head_b.get("/callbacks")) and f'id="request-{world.request_a}"' not in body(
        head_b.get("/callbacks")
    )
    both = body(manager.get("/callbacks"))
    assert f'id="request-{world.request_a}"' in both and f'id="request-{world.request_b}"' in both
    # The recording of another department's request is no more reachable than its row.
    assert senior.get(f"/callbacks/{world.request_b}/recording").status_code == 403
    assert senior.post(f"/callbacks/{world.request_b}/done", data={"csrf_token": csrf_token(senior, "/account")}).status_code == 403
    assert signed_in("head").get("/callbacks?state=late").status_code == 400


def test_a_request_marked_done_from_the_web_is_closed_and_audited(app, world, signed_in, read):
    senior = signed_in("senior")
    page = senior.get("/callbacks").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    done = senior.post(f"/callbacks/{world.request_a}/done", data={"csrf_token": token, "next": "/callbacks?state=open"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/callbacks?state=open")
    after = body(senior.get("/callbacks?state=open"))
    assert "Demande de rappel marquée comme faite." in after and f'id="request-{world.request_a}"' not in after
    done_list = body(senior.get("/callbacks?state=done"))
    assert f'id="request-{world.request_a}"' in done_list and "marquée comme faite par Dr Claire Martin" in done_list
    with read() as session:
        request = session.get(CallbackRequest, world.request_a)
        assert request.status is CallbackStatus.DONE and request.done_via == "manual" and request.done_by_senior_id == world.senior_a
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "callback.done")).one()
        assert entry.target_id == world.request_a and "senior@hopital.fr" in entry.actor
        assert entry.before["status"] == "open" and entry.after["status"] == "done"
    # Twice: refused in words, nothing changes.
    again = senior.post(
        f"/callbacks/{world.request_a}/done", data={"csrf_token": token, "next": "https://evil.example/"}, follow_redirects=True
    )
    assert "Cette demande de rappel était déjà marquée comme faite." in body(again)
    assert again.request.path == "/callbacks"  # never sent off the site


def test_the_gps_message_is_streamed_through_the_app_from_twilio(make_app, world, frozen_clock):
    app = make_app(NOTIFY_BACKEND="live")
    sim = Simulator(FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=frozen_clock[0])
    result = sim.call(from_="+33199000201", to=HOTLINE, gp=[Key("1"), Key("1"), Message(seconds=9)], default_callee=NoAnswer())
    assert result.errors == [], result.transcript()
    with app.app_context():
        request = db.session().scalars(select(CallbackRequest).join(Call).where(Call.sid == result.call_sid)).one()
        request_id, recording_sid = request.id, request.recording_sid
    head = sign_in(app.test_client(), "head")
    page = head.get("/callbacks").get_data(as_text=True)
    assert f'src="/callbacks/{request_id}/recording"' in page
    assert "api.twilio.com" not in page and recording_sid not in page
    with use_twilio_http_client(lambda: sim.rest):
        audio = head.get(f"/callbacks/{request_id}/recording")
    assert audio.status_code == 200 and audio.mimetype == "audio/x-wav" and audio.data[:4] == b"RIFF"
    assert audio.headers["Cache-Control"] == "no-store"
    # 9 s of 8 kHz 16-bit mono after the 44-byte header, as the simulated Twilio served it.
    assert len(audio.data) == 44 + 9 * 8000 * 2
    fetched = sim.rest.requests[-1]
    assert fetched.method == "GET" and fetched.path.endswith(f"/Recordings/{recording_sid}.wav") and fetched.status == 200
    # Listening is audited like a change: who, which request, in the department's log.
    with app.app_context():
        entries = db.session().scalars(select(AuditEntry).where(AuditEntry.action == "callback.listen")).all()
        assert [(e.target_type, e.target_id, e.actor_user_id) for e in entries] == [("callback_request", request_id, world.users["head"])]
        assert "head.a@hopital.fr" in entries[0].actor and [d.department_id for d in entries[0].department_links] == [world.dept_a]
    assert "message du médecin écouté" in body(head.get("/audit"))
    # Twilio refusing (wrong credentials here): a page in words, not a broken player or a 500.
    sim.auth_token = "not-the-token"
    with use_twilio_http_client(lambda: sim.rest):
        refused = head.get(f"/callbacks/{request_id}/recording")
    assert refused.status_code == 502 and "Twilio n'a pas fourni l'enregistrement" in body(refused)
    assert sign_in(app.test_client(), "head_b").get(f"/callbacks/{request_id}/recording").status_code == 403
    with app.app_context():
        # The refused head left no trace of a listening; the one whose fetch Twilio refused did (she asked).
        actors = db.session().scalars(select(AuditEntry.actor_user_id).where(AuditEntry.action == "callback.listen")).all()
        assert actors == [world.users["head"], world.users["head"]]


def test_the_softphone_links_its_call_in_the_call_log(app, world, signed_in, frozen_clock):
    admin = signed_in("admin")
    page = body(admin.get("/softphone"))
    assert 'href="/calls"' in page
