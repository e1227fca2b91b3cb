"""The scheduler's tables: the single-instance lock, a log of job runs, and APScheduler's job store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Float, Index, LargeBinary, String, Table, Text, Unicode
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

JOB_TABLE = "scheduler_job"

# APScheduler's SQLAlchemyJobStore table, created by the migration rather than by APScheduler at start
# (it would then only create it if missing) so that the schema has one author. Declared here as well so
# the test fixtures empty it with every other table; the columns are exactly APScheduler 3.11's.
scheduler_job = Table(
    JOB_TABLE,
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class SchedulerLock(Base):
    """Who runs the jobs. On SQLite this row *is* the lock (a lease renewed by heartbeats); on PostgreSQL
    the lock is a session advisory lock and the row only says who holds it, for ``flask scheduler status``."""

    __tablename__ = "scheduler_lock"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SchedulerRun(Base):
    """One run of one job, for ``flask scheduler status`` and for proving a job ran once."""

    __tablename__ = "scheduler_run"
    __table_args__ = (Index("ix_scheduler_run_job", "job_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64))
    holder: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))  # "ok" or "error"
    detail: Mapped[str | None] = mapped_column(Text)
