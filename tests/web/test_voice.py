"""The hospital's own voice: an administrator uploads a recording of a prompt on the web (checked: type
and size), the app serves it with caching headers, and a simulated call hears it played (``<Play>``)
instead of the synthetic voice — in that language only; removed, the synthetic voice is back."""

from __future__ import annotations

import io
import re
import wave

import pytest
from sqlalchemy import select

from core import clock
from simulator import FlaskTransport, Key, Simulator
from tests.conftest import AUTH_TOKEN, FIXED_NOW, HOTLINE, PUBLIC_BASE_URL
from tests.hospital import GP_KNOWN
from tests.web.conftest import body, csrf_token
from voice.models import PromptRecording


def wav(seconds: float = 2.0, rate: int = 8000) -> bytes:
    """A real WAV file: mono, 16-bit, silence."""
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(b"\0\0" * int(seconds * rate))
    return out.getvalue()


def upload(client, key: str, language: str, data: bytes, name: str = "accueil.wav"):
    token = csrf_token(client, "/voice")
    return client.post(
        f"/voice/{key}/{language}",
        data={"csrf_token": token, "recording": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_an_administrator_uploads_a_recording_and_bad_files_are_refused_in_french(app, world, signed_in, read):
    admin = signed_in("admin")
    page = body(admin.get("/voice"))
    assert "Voix de la ligne" in page and "Recours, avis spécialisé pour les médecins généralistes." in page
    refused = body(upload(admin, "greeting", "fr", b"this is not audio", "accueil.txt"))
    assert "Seuls les enregistrements MP3 ou WAV sont acceptés." in refused
    too_big = body(upload(admin, "greeting", "fr", b"RIFF\0\0\0\0WAVE" + b"\0" * 900_000))
    assert "Un enregistrement fait au plus 900 ko ; celui-ci fait 901 ko." in too_big
    done = body(upload(admin, "greeting", "fr", wav()))
    assert "Enregistrement enregistré : la ligne le diffuse désormais." in done
    with read() as session:
        recording = session.scalars(select(PromptRecording)).one()
        assert (recording.key, recording.language, recording.content_type, recording.filename) == (
            "greeting",
            "fr",
            "audio/wav",
            "accueil.wav",
        )
    # Heads and managers do not change the hotline's voice.
    assert signed_in("head").get("/voice").status_code == 403
    manager = signed_in("manager")
    assert manager.post("/voice/greeting/fr", data={"csrf_token": csrf_token(manager, "/account")}).status_code == 403


def test_a_recording_is_served_with_caching_headers_and_not_modified_answers(app, world, signed_in):
    admin = signed_in("admin")
    upload(admin, "goodbye", "en", wav(1.0), "bye.wav")
    page = admin.get("/voice").get_data(as_text=True)
    path = re.search(r'src="(/prompts/en/goodbye\.wav\?v=[0-9a-f]+)"', page).group(1)
    twilio = app.test_client()  # no session: Twilio's GET
    first = twilio.get(path)
    assert first.status_code == 200 and first.mimetype == "audio/wav" and first.data == wav(1.0)
    assert first.headers["Cache-Control"] == "public, max-age=86400" and first.headers["ETag"]
    again = twilio.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert twilio.get("/prompts/fr/goodbye.wav").status_code == 404  # not recorded in French
    assert twilio.get("/prompts/en/goodbye.mp3").status_code == 404  # not that type


@pytest.fixture
def simulator(app):
    sim = Simulator(FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=FIXED_NOW)
    with clock.use_clock(sim.now):
        yield sim


def _plays(result) -> list[str]:
    return [text for _t, text in result.heard if text.startswith("[play ")]


def test_a_simulated_call_hears_the_uploaded_greeting_played_then_the_synthetic_menu(app, world, signed_in, simulator):
    admin = signed_in("admin")
    upload(admin, "greeting", "fr", wav(4.0))
    result = simulator.call(from_=GP_KNOWN, to=HOTLINE, gp=[Key("*", after=6.0), Key("1")], hang_up_at=20)
    assert result.errors == [], result.transcript()
    plays = _plays(result)
    assert len(plays) == 1 and re.fullmatch(r"\[play https://recours\.example\.org/prompts/fr/greeting\.wav\?v=[0-9a-f]{16}\]", plays[0])
    said = " ".join(text for _t, text in result.heard if not text.startswith("["))
    assert "Recours, avis spécialisé" not in said and "tapez 1" in said  # the menu itself is still said
    # In English (star), nothing recorded: the menu is the synthetic voice's, nothing played.
    assert "neurology, press 1." in said
    # Twilio fetched the file once, and kept it (max-age): a second call plays it without a GET.
    assert [status for _url, status in simulator.media_requests] == [200]
    second = simulator.call(from_=GP_KNOWN, to=HOTLINE, gp=[Key("1")], hang_up_at=15)
    assert _plays(second) == plays and len(simulator.media_requests) == 1
    # Removed: the synthetic voice is back as soon as the routing snapshot is rebuilt (the removal bumps
    # the rota version; the keeper rebuilds off the request path — here, at once).
    token = csrf_token(admin, "/voice")
    admin.post("/voice/greeting/fr/delete", data={"csrf_token": token})
    from routing.snapshot import keeper_of

    keeper_of(app).refresh(simulator.now())
    third = simulator.call(from_=GP_KNOWN, to=HOTLINE, gp=[Key("1")], hang_up_at=15)
    assert _plays(third) == [] and "Recours, avis spécialisé" in " ".join(text for _t, text in third.heard)


def test_the_simulator_reports_a_play_url_that_serves_no_audio(app, simulator):
    from simulator.engine import wav_seconds

    assert wav_seconds(wav(2.5)) == pytest.approx(2.5)
    media = simulator.fetch_media(f"{PUBLIC_BASE_URL}/prompts/fr/greeting.wav?v=0")
    assert media is None and "not playable audio" in simulator.issues[-1].message
