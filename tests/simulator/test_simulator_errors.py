"""What Twilio refuses (error codes, Fallback URL, canned message), what it only warns about, and signatures."""

from __future__ import annotations

import pytest
from flask import Response
from sim_support import HOTLINE, PUBLIC, TOKEN, twiml
from twilio.request_validator import RequestValidator

from simulator import FlaskTransport, Key, Simulator
from simulator.engine import APPLICATION_ERROR

FALLBACK = twiml("<Say>Service dégradé.</Say>")


def test_a_bad_content_type_goes_to_the_fallback_url_with_the_error(sim, twiml_app):
    twiml_app.on("/voice", Response(twiml("<Say>Bonjour.</Say>"), mimetype="text/html"))
    twiml_app.on("/fallback", FALLBACK)

    result = sim.call(to=HOTLINE)

    assert result.error_codes == [12300]
    [fallback] = result.requests_to("/fallback")
    assert fallback.params["ErrorCode"] == "12300"
    assert fallback.params["ErrorUrl"] == f"{PUBLIC}/voice"
    assert result.heard_text == "Service dégradé."


def test_an_action_failure_also_uses_the_fallback_with_the_original_parameters(sim, twiml_app):
    twiml_app.on("/voice", twiml('<Gather action="/menu" numDigits="1"><Say>Tapez.</Say></Gather>'))
    twiml_app.on("/menu", ("oops", 500))
    twiml_app.on("/fallback", FALLBACK)

    result = sim.call(to=HOTLINE, gp=[Key("3")])

    assert result.error_codes == [11200]
    [fallback] = result.requests_to("/fallback")
    assert (fallback.params["Digits"], fallback.params["ErrorUrl"]) == ("3", f"{PUBLIC}/menu")


def test_when_the_fallback_fails_too_the_gp_hears_the_canned_message(sim, twiml_app):
    twiml_app.on("/voice", ("oops", 500))
    twiml_app.on("/fallback", ("still broken", 503))

    result = sim.call(to=HOTLINE)

    assert result.error_codes == [11200, 11200]
    assert result.heard_text == APPLICATION_ERROR
    assert result.final_status == "completed"


def test_without_fallback_url_the_canned_message_comes_at_once(twiml_app):
    sim = Simulator(FlaskTransport(twiml_app.app), PUBLIC, TOKEN, voice_url="/voice", fallback_url=None)
    twiml_app.on("/voice", Response("", mimetype="text/xml"))  # an empty 200 is a 502 to Twilio

    result = sim.call(to=HOTLINE)

    assert result.error_codes == [11200]
    assert [r.kind for r in result.requests] == ["voice", "status-callback"]
    assert result.heard_text == APPLICATION_ERROR


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ("  \n" + twiml("<Say>x</Say>"), 12100),  # whitespace before <?xml
        ("<Response><Say>unclosed</Response>", 12100),
        ("<Reponse><Say>x</Say></Reponse>", 12100),
        (twiml("<Say>" + "x" * 70_000 + "</Say>"), 11750),
        (twiml("<Gather><Dial>+33611111111</Dial></Gather>"), 13320),
    ],
)
def test_documents_twilio_refuses(sim, twiml_app, answer, code):
    twiml_app.on("/voice", answer)

    result = sim.call(to=HOTLINE)

    assert result.error_codes == [code, 11200]  # then the unconfigured /fallback answers 404
    assert result.heard_text == APPLICATION_ERROR  # nothing of the refused document was played


def test_a_204_or_an_empty_response_quietly_ends_the_call(sim, twiml_app):
    twiml_app.on("/voice", twiml("<Say>Un.</Say><Redirect>/empty</Redirect>"))
    twiml_app.on("/empty", ("", 204))

    result = sim.call(to=HOTLINE)

    assert result.errors == []
    assert result.heard_text == "Un."
    assert result.final_status == "completed"


def test_unknown_attributes_and_list_reprs_are_warnings_only(sim, twiml_app):
    twiml_app.on("/voice", twiml('<Gather input="[\'dtmf\', \'speech\']" numDigit="1" action="/menu"><Say>Tapez.</Say></Gather>'))
    twiml_app.on("/menu", twiml(""))

    result = sim.call(to=HOTLINE, gp=[Key("5")])

    messages = " | ".join(warning.message for warning in result.warnings)
    assert "numDigit" in messages
    assert "list repr" in messages
    assert result.errors == []
    assert result.requests_to("/menu")[0].params["Digits"] == "5"  # input fell back to dtmf


def test_a_first_verb_reject_leaves_the_call_unanswered(sim, twiml_app):
    twiml_app.on("/voice", twiml('<Reject reason="busy"/>'))

    result = sim.call(to=HOTLINE)

    [status] = result.requests_to("/status")
    assert (status.params["CallStatus"], status.params["CallDuration"]) == ("busy", "0")


def test_an_action_on_another_host_never_reaches_the_app(sim, twiml_app):
    twiml_app.on("/voice", twiml('<Gather action="http://localhost/menu" numDigits="1"><Say>Tapez.</Say></Gather>'))
    twiml_app.on("/menu", twiml("<Say>Jamais.</Say>"))
    twiml_app.on("/fallback", FALLBACK)

    result = sim.call(to=HOTLINE, gp=[Key("1")])

    assert result.error_codes == [11200]
    assert result.requests_to("/menu")[0].status == 599  # recorded, but not delivered
    assert "Jamais." not in result.heard_text


def test_a_redirect_loop_is_stopped(twiml_app):
    sim = Simulator(FlaskTransport(twiml_app.app), PUBLIC, TOKEN, voice_url="/voice", max_requests=20)
    twiml_app.on("/voice", twiml("<Redirect>/voice</Redirect>"))

    result = sim.call(to=HOTLINE)

    delivered = [r for r in result.requests if r.kind != "status-callback" and r.status != 599]
    assert len(delivered) == 20
    assert result.requests[-1].kind == "status-callback"  # the call is still closed in the app's log
    assert any("a TwiML loop" in error.message for error in result.errors)
    assert result.heard_text == APPLICATION_ERROR


# ---------------------------------------------------------------------------- signatures


def test_the_test_app_rejects_a_bad_signature(twiml_app):
    twiml_app.on("/voice", twiml("<Say>x</Say>"))
    client = twiml_app.app.test_client()
    form = {"CallSid": "CA" + "1" * 32, "From": "+33612345678"}

    forged = client.post("/voice", data=form, headers={"X-Twilio-Signature": "AAAA"})
    signed = client.post(
        "/voice",
        data=form,
        headers={
            "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(f"{PUBLIC}/voice", form),
        },
    )

    assert (forged.status_code, signed.status_code) == (403, 200)


def test_a_simulator_with_the_wrong_token_is_refused(twiml_app):
    sim = Simulator(FlaskTransport(twiml_app.app), PUBLIC, "not-the-token", voice_url="/voice")
    twiml_app.on("/voice", twiml("<Say>x</Say>"))

    result = sim.call(to=HOTLINE)

    assert result.requests[0].status == 403
    assert result.error_codes[0] == 11200


def test_signatures_cover_query_strings_and_get_requests(sim, twiml_app):
    twiml_app.on("/voice", twiml('<Gather action="/menu?lang=fr&amp;step=2" method="GET" numDigits="1"><Say>Tapez.</Say></Gather>'))
    twiml_app.on("/menu", twiml("<Say>Reçu.</Say>"))

    result = sim.call(to=HOTLINE, gp=[Key("4")])

    [menu] = result.requests_to("/menu")
    assert (menu.method, menu.status) == ("GET", 200)
    assert menu.url == f"{PUBLIC}/menu?lang=fr&step=2"
    assert result.heard_text.endswith("Reçu.")


def test_a_webhook_slower_than_twilios_timeout_goes_to_the_fallback_url(twiml_app):
    import time

    def slow(_form):
        time.sleep(0.3)
        return twiml("<Say>Trop tard.</Say>")

    twiml_app.on("/voice", slow)
    twiml_app.on("/fallback", FALLBACK)
    sim = Simulator(
        FlaskTransport(twiml_app.app),
        public_base_url=PUBLIC,
        auth_token=TOKEN,
        voice_url="/voice",
        fallback_url="/fallback",
        webhook_timeout=0.2,
    )

    result = sim.call(to=HOTLINE)

    assert result.error_codes == [11200]
    [voice] = result.requests_to("/voice")
    assert voice.status == 599 and voice.seconds >= 0.3  # the measured wall-clock time of the webhook
    assert result.heard_text == "Service dégradé."
