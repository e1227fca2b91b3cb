"""Uploading and removing recorded prompts. Like every operation: an actor, checks, the audit entry,
a flush; the caller commits. Only administrators (and IT's command line) change the hotline's voice.

What is accepted is decided from the bytes, not from the file name or the browser's claim: an MP3
(an ID3 tag or an MPEG audio frame header) or a WAV (RIFF/WAVE), at most :data:`MAX_BYTES`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.scope import authority_of_actor
from audit import record
from core import clock
from core.actor import Actor
from core.errors import N_, Code, Kind, OperationError
from core.words import LANGUAGES
from ivr.prompts import RECORDABLE
from voice.models import PromptRecording

# Under the web app's request limit (1 MiB) with room for the form: a minute of 8 kHz WAV, or several of MP3.
MAX_BYTES = 900_000


class VoiceError(OperationError):
    prefix = "voice"
    codes = {
        "unknown_prompt": Code(N_("There is no prompt called {key}."), Kind.NOT_FOUND, "key"),
        "language": Code(N_("The language is fr or en."), field="language"),
        "empty": Code(N_("Choose a recording to upload."), field="recording"),
        "too_big": Code(N_("A recording is at most {kilobytes} kB; this one is {size} kB."), field="recording"),
        "not_audio": Code(N_("Only MP3 or WAV recordings are accepted."), field="recording"),
        "no_recording": Code(N_("This prompt has no recording in that language."), Kind.NOT_FOUND),
        "forbidden": Code(N_("Only an administrator changes the hotline's voice."), Kind.FORBIDDEN),
    }


def sniff(data: bytes) -> str | None:
    """The audio type of ``data`` from its first bytes, or None."""
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[:3] == b"ID3" or (len(data) >= 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return None


def _check(session: Session, actor: Actor, key: str, language: str) -> None:
    if authority_of_actor(session, actor) is not None:
        raise VoiceError("forbidden")
    if key not in RECORDABLE:
        raise VoiceError("unknown_prompt", key=key)
    if language not in LANGUAGES:
        raise VoiceError("language")


def values(recording: PromptRecording) -> dict:
    return {"key": recording.key, "language": recording.language, "content_type": recording.content_type,
            "size": recording.size, "sha256": recording.sha256, "filename": recording.filename}  # fmt: skip


def upload_prompt(
    session: Session, actor: Actor, key: str, language: str, data: bytes, *, filename: str = "", at: datetime | None = None
) -> PromptRecording:
    """Replace prompt ``key`` in ``language`` by ``data`` (replacing an earlier recording)."""
    _check(session, actor, key, language)
    if not data:
        raise VoiceError("empty")
    if len(data) > MAX_BYTES:
        raise VoiceError("too_big", kilobytes=MAX_BYTES // 1000, size=-(-len(data) // 1000))
    content_type = sniff(data)
    if content_type is None:
        raise VoiceError("not_audio")
    recording = session.scalars(select(PromptRecording).where(PromptRecording.key == key, PromptRecording.language == language)).first()
    before = values(recording) if recording is not None else None
    if recording is None:
        recording = PromptRecording(key=key, language=language)
        session.add(recording)
    recording.content_type, recording.data, recording.size = content_type, data, len(data)
    recording.sha256 = hashlib.sha256(data).hexdigest()
    recording.filename = (filename or "")[:200]
    recording.uploaded_at = at or clock.now()
    session.flush()
    record(session, actor, action="prompt.upload", target_type="prompt", target_id=recording.id, before=before, after=values(recording),
           summary=f"{key} ({language})")  # fmt: skip
    return recording


def remove_prompt(session: Session, actor: Actor, key: str, language: str) -> None:
    """Back to text-to-speech for prompt ``key`` in ``language``."""
    _check(session, actor, key, language)
    recording = session.scalars(select(PromptRecording).where(PromptRecording.key == key, PromptRecording.language == language)).first()
    if recording is None:
        raise VoiceError("no_recording")
    before, recording_id = values(recording), recording.id
    session.delete(recording)
    session.flush()
    record(session, actor, action="prompt.delete", target_type="prompt", target_id=recording_id, before=before,
           summary=f"{key} ({language})")  # fmt: skip
