"""Recorded prompts, kept in the database: every instance behind the load balancer serves the same
file, backups carry them, and a recording is small (at most :data:`voice.operations.MAX_BYTES`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

# The audio types accepted, and the extension of each in the URL Twilio fetches.
EXTENSIONS = {"audio/mpeg": "mp3", "audio/wav": "wav"}


class PromptRecording(Base):
    """The recording that replaces prompt ``key`` (:data:`ivr.prompts.RECORDABLE`) in ``language``."""

    __tablename__ = "prompt_recording"
    __table_args__ = (UniqueConstraint("key", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2))
    content_type: Mapped[str] = mapped_column(String(40))  # audio/mpeg or audio/wav, from the bytes themselves
    # The audio, read only when it is served (the hotline's lookups read the rest).
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # the ETag, and the version in the URL Twilio fetches
    filename: Mapped[str] = mapped_column(String(200), default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
