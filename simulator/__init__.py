"""A Twilio-faithful voice call simulator for Recours.

It plays Twilio and the people on the phones — the GP who calls the hotline and the specialists
it dials — on a virtual clock, against the app's real, signed webhooks. Used by the scenario
tests, by ``flask call simulate`` and, later, by a web softphone.

    sim = Simulator(FlaskTransport(app), public_base_url="https://recours.example.org", auth_token="tok")
    result = sim.call(from_="+33612345678", to="+33140000000", gp=[Key("1")],
                      callees={"+33611111111": Accepts(after=3)})
    print(result.transcript())

The app's Twilio REST client reaches the simulated account when it is installed as the HTTP client
(``use_twilio_http_client(lambda: sim.rest)``): calls it places ring in the running call's timeline.
"""

from .actors import (
    Accepts,
    AnswersWithoutKey,
    Busy,
    Callee,
    Declines,
    Defers,
    Fails,
    HangUp,
    Key,
    Message,
    NoAnswer,
    Silence,
    Speech,
    Voicemail,
)
from .engine import Simulator
from .rest import RestApi, RestRequest
from .result import CallResult, ConferenceRecord, LegRecord, Recording, RequestRecord, SimIssue, SmsRecord, Utterance
from .transport import FlaskTransport, HttpAnswer, HttpTransport, Transport

__all__ = [
    "Accepts",
    "AnswersWithoutKey",
    "Busy",
    "CallResult",
    "Callee",
    "ConferenceRecord",
    "Declines",
    "Defers",
    "Fails",
    "FlaskTransport",
    "HangUp",
    "HttpAnswer",
    "HttpTransport",
    "Key",
    "LegRecord",
    "Message",
    "NoAnswer",
    "Recording",
    "RequestRecord",
    "RestApi",
    "RestRequest",
    "Silence",
    "SimIssue",
    "Simulator",
    "SmsRecord",
    "Speech",
    "Transport",
    "Utterance",
    "Voicemail",
]
