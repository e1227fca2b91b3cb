"""The audio the simulator serves for a recording: what Twilio's media URL answers, minus the voice.

A simulated GP speaks no words, so a recording is a quiet 440 Hz tone as long as the message, in the
format Twilio serves at ``…/Recordings/{Sid}.wav`` (8 kHz, 16-bit, mono PCM WAV).
"""

from __future__ import annotations

import io
import math
import struct
import wave

RATE = 8000
MAX_SECONDS = 600  # a Record's maxLength is at most 4 h; a stand-in needs no more than ten minutes


def stand_in_wav(seconds: float) -> bytes:
    frames = int(RATE * min(max(seconds, 0.5), MAX_SECONDS))
    # One second of tone, repeated: cheap to build for a long message.
    second = b"".join(struct.pack("<h", int(1500 * math.sin(2 * math.pi * 440 * i / RATE))) for i in range(RATE))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        whole, rest = divmod(frames, RATE)
        out.writeframes(second * whole + second[: rest * 2])
    return buffer.getvalue()
