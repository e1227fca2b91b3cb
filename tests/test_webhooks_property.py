"""Property: whatever a correctly signed request carries, every webhook answers 200 with TwiML that
parses, and no exception escapes (Flask's test client would re-raise it)."""

from __future__ import annotations

from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr import callback_call, links
from notify.outbox import SMS_STATUS_WEBHOOK, SMS_WEBHOOK
from tests.conftest import PUBLIC_BASE_URL, sign
from tests.hospital import GP_KNOWN, PRIMARY, build_hospital

PATHS = [
    links.VOICE,
    links.MENU,
    links.DIAL_RESULT,
    links.SCREEN,
    links.SCREEN_ANSWER,
    links.CALLBACK_CHOICE,
    links.RECORDING,
    links.SWITCHBOARD_RESULT,
    links.STATUS,
    links.FALLBACK,
    SMS_WEBHOOK,
    SMS_STATUS_WEBHOOK,
    callback_call.CALLBACK_CALL,
    callback_call.CALLBACK_CALL_CHOICE,
    callback_call.CALLBACK_CALL_SCREEN,
    callback_call.CALLBACK_CALL_SCREEN_ANSWER,
    callback_call.CALLBACK_CALL_DIAL_RESULT,
    callback_call.CALLBACK_CALL_STATUS,
]
SIDS = ["CA" + c * 32 for c in "abc"]
TWILIO_FIELDS = [
    "CallSid",
    "ParentCallSid",
    "From",
    "To",
    "CallStatus",
    "Digits",
    "SpeechResult",
    "Confidence",
    "DialCallStatus",
    "DialCallSid",
    "SequenceNumber",
    "Timestamp",
    "RecordingUrl",
    "RecordingSid",
    "RecordingDuration",
    "ErrorCode",
    "ErrorUrl",
    "Direction",
    "Body",
    "MessageSid",
    "MessageStatus",
]
plausible = {
    "CallSid": st.sampled_from(SIDS),
    "ParentCallSid": st.sampled_from(SIDS),
    "From": st.sampled_from([GP_KNOWN, "anonymous", "+266696687", "0612345678", PRIMARY, ""]),
    "To": st.sampled_from(["+33199000000", "+33199000050", "client:x"]),
    "CallStatus": st.sampled_from(
        ["queued", "initiated", "ringing", "in-progress", "completed", "busy", "no-answer", "failed", "canceled"]
    ),
    "Digits": st.sampled_from(["", "1", "2", "0", "*", "#", "9", "11"]),
    "SpeechResult": st.sampled_from(["Neurologie.", "la neuro s'il vous plaît", "English", "standard", "euh"]),
    "DialCallStatus": st.sampled_from(["completed", "busy", "no-answer", "failed", "canceled", "answered"]),
    "SequenceNumber": st.sampled_from(["0", "1", "2", "3", "-1", "x"]),
    "Timestamp": st.sampled_from(["Tue, 10 Mar 2026 09:00:05 +0000", "yesterday", ""]),
    "RecordingDuration": st.sampled_from(["0", "12", "-3", "lots"]),
}
any_text = st.text(max_size=40)
field_value = st.one_of(any_text, st.sampled_from([""]))
form = st.dictionaries(
    keys=st.one_of(st.sampled_from(TWILIO_FIELDS), st.text(min_size=1, max_size=12)),
    values=any_text,
    max_size=8,
).flatmap(
    lambda extra: st.fixed_dictionaries({}, optional={k: st.one_of(v, any_text) for k, v in plausible.items()}).map(
        lambda chosen: {**extra, **chosen}
    )
)
query = st.one_of(
    st.just({}),
    st.fixed_dictionaries({"rank": st.one_of(st.integers(-2, 4).map(str), any_text)}),
    st.fixed_dictionaries({"cc": st.one_of(st.integers(-1, 3).map(str), any_text)}),
)


@pytest.fixture
def hospital(session, frozen_clock):
    return build_hospital(session, frozen_clock[0])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), params=form, query_params=query)
def test_every_webhook_answers_twiml_whatever_signed_form_it_gets(client, hospital, caplog, path, params, query_params):
    caplog.clear()
    target = path + ("?" + urlencode(query_params) if query_params else "")
    response = client.post(target, data=params, headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + target, params)})
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/xml"
    assert ElementTree.fromstring(response.data).tag == "Response"
    # The switchboard fallback is for real failures: arbitrary input must be handled, not crash into it.
    failures = [r for r in caplog.records if r.name == "webhooks.views" and "failed;" in r.getMessage()]
    assert not failures, [r.getMessage() for r in caplog.records]
