"""Summary tables: the call log counted per local day, so a year's report reads thousands of rows, not
millions; and the indexes the reports add to the call log's own tables.

Every row belongs to one reporting time zone (``zone``) and one local day in it (``local_day``, days
since 1970-01-01 local), and is keyed by specialty (``specialty_key``: the specialty's id, 0 for calls
that chose none) and the other dimensions of its figure. A day is summarised once, when it is *sealed*
(see :mod:`reports.summaries`), and :class:`SummarisedDay` records it; days not summarised are read from
the call log itself, through the same grouping, so a report never depends on whether a summary exists.

They hold counts, never a name or a phone number, and are written only by :mod:`reports.summaries`.

Migrations ``0301``, ``0550`` (the callbacks' summary and indexes) and ``0940`` (the follow-up) create all of it; declaring the
indexes here too keeps the models and the migrations in agreement (``schema.py`` imports this module).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from calllog.models import Attempt, Call, CallbackRequest
from core.db import Base, UTCDateTime


class SummarisedDay(Base):
    """The call log of this local day (in ``zone``) is in the summary tables."""

    __tablename__ = "report_summarised_day"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    local_day: Mapped[int] = mapped_column(Integer, primary_key=True)
    summarised_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CallsSummary(Base):
    """Calls by outcome (``in_progress`` for none yet); of them, how many found nobody on duty."""

    __tablename__ = "report_calls"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    local_day: Mapped[int] = mapped_column(Integer, primary_key=True)
    specialty_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(24), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer)
    found_nobody_on_duty: Mapped[int] = mapped_column(Integer)


class CallHoursSummary(Base):
    """Calls and connected calls by local hour of the day (0-23) they started in."""

    __tablename__ = "report_call_hours"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    local_day: Mapped[int] = mapped_column(Integer, primary_key=True)
    specialty_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer)
    connected: Mapped[int] = mapped_column(Integer)


class DurationsSummary(Base):
    """How many calls took ``seconds`` (whole) to ``metric`` ("first_ring" or "connection")."""

    __tablename__ = "report_durations"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    local_day: Mapped[int] = mapped_column(Integer, primary_key=True)
    specialty_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric: Mapped[str] = mapped_column(String(16), primary_key=True)
    seconds: Mapped[int] = mapped_column(Integer, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer)


class AttemptsSummary(Base):
    """Attempts by senior (``senior_key``: id, 0 for a deleted senior) and result (``in_progress`` for none)."""

    __tablename__ = "report_attempts"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    local_day: Mapped[int] = mapped_column(Integer, primary_key=True)
    specialty_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    senior_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    result: Mapped[str] = mapped_column(String(24), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)


class CallbacksSummary(Base):
    """Callback requests done on the local day ``local_day`` (the day summarised: a request is done once,
    so it is counted once, on the day it was done), by the local day they were requested on
    (``requested_day``, what a report's period selects), by ``deadline`` (:data:`NO_DEADLINE`: the
    request has none of its own, the report applies its default to ``waited_minutes``;
    :data:`DEADLINE_MET`; :data:`DEADLINE_MISSED`: done at or after it) and by whole minutes waited
    (minutes, not seconds: a day of one specialty then has a few hundred rows, not one per request, and
    a default deadline in whole minutes still tells late from on time exactly). Open requests are never
    summarised: they change until done."""

    __tablename__ = "report_callbacks"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    # First in the key after the zone: a report selects its period's requests by it.
    requested_day: Mapped[int] = mapped_column(Integer, primary_key=True)
    local_day: Mapped[int] = mapped_column(Integer, primary_key=True)
    specialty_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    deadline: Mapped[int] = mapped_column(Integer, primary_key=True)
    waited_minutes: Mapped[int] = mapped_column(Integer, primary_key=True)
    requests: Mapped[int] = mapped_column(Integer)


NO_DEADLINE, DEADLINE_MET, DEADLINE_MISSED = 0, 1, 2


class FollowUpDay(Base):
    """What came after the calls of this local day (in ``zone``) is in :class:`FollowUpSummary`. Kept
    apart from :class:`SummarisedDay`: a senior may still say what came of a conversation for a week
    after being asked, so these days are sealed later (:data:`reports.summaries.FOLLOW_UP_SEAL_AFTER`)."""

    __tablename__ = "report_follow_up_day"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    local_day: Mapped[int] = mapped_column(Integer, primary_key=True)
    summarised_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FollowUpSummary(Base):
    """The calls of a local day that were connected or deferred (the report's 'After the call'), as
    ``calls`` alike in ``fact``:

    - :data:`TAKEN`: connected, ``senior_key`` the senior who accepted (0 for none), ``value`` empty.
      Final once the day is sealed: written with the other summaries (:class:`SummarisedDay`);
    - :data:`SAID`: connected, ``value`` what the senior said came of it, or ``not_answered``
      (``senior_key`` 0);
    - :data:`DEFERRED`: ``senior_key`` the senior who promised (0 for none), ``value`` the promise as at
      the summary: ``kept``, ``broken``, ``pending``, or ``no_request`` for a deferral without its
      callback request. These two are written once a senior can no longer answer (:class:`FollowUpDay`)."""

    __tablename__ = "report_follow_up"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    local_day: Mapped[int] = mapped_column(Integer, primary_key=True)
    specialty_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    senior_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    fact: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(24), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer)


TAKEN, SAID, DEFERRED = "taken", "said", "deferred"
NO_REQUEST = "no_request"

SUMMARY_TABLES = (CallsSummary, CallHoursSummary, DurationsSummary, AttemptsSummary, CallbacksSummary, FollowUpSummary)

# The days a report reads from the call log itself (the last day or two; every day when nothing is
# summarised), the summarising of a day and the list of unanswered calls are range scans of
# call.started_at joined to the attempts. These indexes carry the columns those scans read — all but the
# hunt list, too wide to copy — so the work is done in the index, without visiting the rows.
CALL_REPORT_INDEX = Index(
    "ix_call_report",
    Call.started_at,
    Call.specialty_id,
    Call.outcome,
    Call.first_ringing_at,
    Call.connected_at,
    postgresql_include=["id"],
)
ATTEMPT_REPORT_INDEX = Index("ix_attempt_report", Attempt.call_id, Attempt.senior_id, Attempt.result)
# The callback requests a report reads from the log (migration 0550): those done on a day not summarised
# yet (the last day or two), and those not done, however old (few: a request is done within hours).
CALLBACK_DONE_INDEX = Index("ix_callback_request_done_at", CallbackRequest.done_at)
# Not summarised, whatever their age: not done, or (against the rules) done without an instant. The
# index carries what the report reads of them (migration 0940), so they are read without visiting rows.
NOT_DONE = "(status <> 'done' OR done_at IS NULL)"
CALLBACK_NOT_DONE_INDEX = Index(
    "ix_callback_request_not_done",
    CallbackRequest.requested_at,
    postgresql_include=["specialty_id", "status", "deadline_at", "done_at"],
    sqlite_where=text(NOT_DONE),
    postgresql_where=text(NOT_DONE),
)
# What came after the calls of the days whose follow-up is not summarised yet (the last nine days or so,
# migration 0940): the connected and deferred calls, with the columns the report reads (no heap visit).
FOLLOW_UP_CALLS = "outcome IN ('connected', 'deferred')"
CALL_FOLLOW_UP_INDEX = Index(
    "ix_call_follow_up",
    Call.started_at,
    Call.outcome,
    Call.specialty_id,
    Call.conversation_outcome,
    postgresql_include=["id"],
    sqlite_where=text(FOLLOW_UP_CALLS),
    postgresql_where=text(FOLLOW_UP_CALLS),
)
REPORT_INDEXES = (CALL_REPORT_INDEX, ATTEMPT_REPORT_INDEX, CALLBACK_DONE_INDEX, CALLBACK_NOT_DONE_INDEX, CALL_FOLLOW_UP_INDEX)
