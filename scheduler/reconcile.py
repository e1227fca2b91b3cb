"""No call in progress forever: the ``reconcile-calls`` job.

A call stays open in the log when its final status callback never arrived (the database was down when
Twilio sent it, an instance died mid-call, Twilio gave up). Past ``CALL_RECONCILE_MINUTES`` the job
asks Twilio's REST Call resource what became of it — through the notifier, the one REST client — and
closes it with Twilio's final status and end time; a call Twilio still reports in progress (a long
conversation) is left for a later run. Without Twilio's answer (no REST credentials in development,
a call Twilio does not know) the call is closed explicitly as "ended, outcome unknown"; a network
error leaves it for the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from calllog import operations
from core.config import Settings
from notify.providers import Notifier, SendError

log = logging.getLogger(__name__)

# Calls looked at per run: a backlog after a long outage is worked through over a few runs.
BATCH = 200


@dataclass
class ReconcileReport:
    closed_from_twilio: int = 0
    closed_unknown: int = 0
    still_in_progress: int = 0
    retry_later: int = 0

    def __str__(self) -> str:
        return (
            f"{self.closed_from_twilio} closed from Twilio, {self.closed_unknown} ended with outcome unknown, "
            f"{self.still_in_progress} still in progress at Twilio, {self.retry_later} to retry"
        )


def reconcile_open_calls(session: Session, settings: Settings, notifier: Notifier, now: datetime) -> ReconcileReport:
    """Close the calls open longer than the configured age; commit after each call."""
    report = ReconcileReport()
    cutoff = now - timedelta(minutes=settings.scheduler.reconcile_after_minutes)
    for call_id in operations.open_calls_started_before(session, cutoff, limit=BATCH):
        call = operations.lock_open_call(session, call_id)
        if call is None:  # closed meanwhile by a late status callback
            session.rollback()
            continue
        try:
            state = notifier.fetch_call(call.sid)
        except SendError as error:
            session.rollback()
            log.warning("reconciler: Twilio could not be asked about call %s (%s); next run", call.sid, error)
            report.retry_later += 1
            continue
        if state is None:
            operations.close_with_outcome_unknown(session, call, now)
            report.closed_unknown += 1
        elif not state.final:
            report.still_in_progress += 1
        else:
            operations.close_from_twilio(session, call, state.status, state.ended_at or now, now)
            report.closed_from_twilio += 1
        session.commit()
    return report
