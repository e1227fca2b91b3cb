"""Callback requests in the summaries: a done request is counted on the day it was done, by the day it
was requested on, so a year's report no longer reads every request of the year. The report says the
same with and without the summaries, whichever days are summarised: requests done the same day, days
or weeks later, yesterday and today (not sealed yet), still open, of no specialty, and one requested
before the period but done in it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from calllog.models import CallbackRequest, CallbackStatus, CallOutcome
from reports import summaries
from reports.figures import summary_report
from reports.models import CallbacksSummary
from reports.scope import resolve_scope
from rota.models import Department, Specialty
from tests.reports.conftest import PARIS
from tests.reports.test_report_edges import add_call

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 15)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


NOW = local(20, 15)  # Friday 20 March: the 19th (yesterday) and the 20th (today) are not sealed
HOUR = timedelta(hours=1)


def place_requests(session) -> None:
    department = Department(name="Neurosciences", timezone="Europe/Paris")
    neurology = Specialty(code="neurology", department=department, name_fr="neurologie", name_en="neurology", menu_digit="1")
    session.add_all([department, neurology])
    session.flush()

    def request(requested_at: datetime, done_at: datetime | None, *, specialty=neurology, deadline_at: datetime | None = None) -> None:
        call = add_call(session, requested_at - timedelta(minutes=1), specialty=specialty, outcome=CallOutcome.CALLBACK_REQUESTED)
        session.add(
            CallbackRequest(
                call_id=call.id,
                caller=call.caller,
                specialty_id=None if specialty is None else specialty.id,
                requested_at=requested_at,
                status=CallbackStatus.OPEN if done_at is None else CallbackStatus.DONE,
                done_at=done_at,
                deadline_at=deadline_at,
            )
        )

    request(local(3, 9), local(3, 9, 30))  # done within the default hour, the same day
    request(local(3, 10), local(3, 11))  # exactly at the default deadline: late
    request(local(5, 23, 50), local(6, 0, 20), deadline_at=local(6, 1))  # done after midnight, before its own deadline
    request(local(9, 8), local(12, 8), deadline_at=local(9, 9))  # three days later, its own deadline missed
    request(local(14, 12), local(18, 9))  # done on the last sealed day, after the period
    request(local(15, 23), local(19, 10))  # done yesterday: not sealed
    request(local(10, 8), NOW - HOUR)  # done today
    request(local(11, 8), None)  # still open: overdue
    request(local(12, 8), None, deadline_at=NOW + HOUR)  # open, its own deadline still ahead
    request(local(13, 8), local(13, 8, 5), specialty=None)  # no specialty
    request(local(1, 23), local(2, 9))  # requested the day before the period, done in it: not counted
    request(local(16, 0), local(16, 1))  # requested the day after the period: not counted
    session.commit()


def report(in_app, now: datetime, *, use_summaries: bool, specialty: str | None = None) -> dict:
    def run(session):
        return summary_report(session, resolve_scope(session, FIRST, LAST, specialty=specialty), now, use_summaries=use_summaries).as_json()

    return in_app(run)


def summarised_requests(in_app) -> int:
    return in_app(lambda s: s.scalar(select(func.coalesce(func.sum(CallbacksSummary.requests), 0))))


def test_summarised_and_live_callback_figures_agree(in_app, report_session):
    place_requests(report_session)
    live = report(in_app, NOW, use_summaries=False)
    assert live["callbacks"]["requested"] == 10
    assert (live["callbacks"]["done"], live["callbacks"]["done_late"]) == (8, 5)
    assert (live["callbacks"]["open"], live["callbacks"]["open_overdue"]) == (2, 1)
    assert live["callbacks"]["time_to_callback"]["count"] == 8

    # What the nightly job does: every sealed day summarised, up to the 18th.
    assert in_app(lambda s: summaries.summarise_sealed(s, NOW)) == {"Europe/Paris": 18}
    # The done requests of sealed days are in the summary (the one done on the 2nd included, though
    # requested before the period); those done yesterday and today are not.
    assert summarised_requests(in_app) == 8
    for specialty in (None, "neurology"):
        summarised = report(in_app, NOW, use_summaries=True, specialty=specialty)
        assert summarised["summarised_days"] == 14
        assert summarised["callbacks"] == report(in_app, NOW, use_summaries=False, specialty=specialty)["callbacks"]
    assert report(in_app, NOW, use_summaries=True)["callbacks"] == live["callbacks"]

    # Days later, yesterday and today are summarised too: each request is still counted once.
    later = NOW + timedelta(days=3)
    assert in_app(lambda s: summaries.summarise_sealed(s, later)) == {"Europe/Paris": 3}
    assert summarised_requests(in_app) == 10
    after = report(in_app, later, use_summaries=True)
    assert after["callbacks"] == report(in_app, later, use_summaries=False)["callbacks"]
    assert (after["callbacks"]["done"], after["callbacks"]["done_late"], after["callbacks"]["open"]) == (8, 5, 2)


def test_a_report_reads_the_requests_done_after_its_period_from_the_log(in_app, report_session):
    """A report summarises its own period's days only; requests done on the days after it that are not
    summarised yet are read from the log."""
    place_requests(report_session)
    summarised = report(in_app, NOW, use_summaries=True)
    assert summarised["summarised_days"] == 14
    assert summarised["callbacks"] == report(in_app, NOW, use_summaries=False)["callbacks"]
    assert summarised_requests(in_app) == 6  # done from the 2nd to the 15th, the period's own days


def test_waits_are_whole_minutes_in_the_summary_and_the_log_alike(in_app, report_session):
    """A wait of 59 min 59.9 s is 59 minutes: on time against the default hour, and the median of the
    time to callback is exact to the minute (a whole number of minutes, in seconds), summarised or not."""
    place_requests(report_session)
    call = add_call(report_session, local(4, 8), outcome=CallOutcome.CALLBACK_REQUESTED)
    report_session.add(
        CallbackRequest(
            call_id=call.id,
            caller=call.caller,
            requested_at=local(4, 8, 1),
            status=CallbackStatus.DONE,
            done_at=local(4, 9, 1) - timedelta(milliseconds=100),
        )
    )
    report_session.commit()
    live = report(in_app, NOW, use_summaries=False)["callbacks"]
    assert (live["done"], live["done_late"]) == (9, 5)  # the new one is on time
    in_app(lambda s: summaries.summarise_sealed(s, NOW))
    assert in_app(lambda s: s.scalar(select(func.count()).select_from(CallbacksSummary).where(CallbacksSummary.waited_minutes == 59))) == 1
    summarised = report(in_app, NOW, use_summaries=True)["callbacks"]
    assert summarised == live
    for stats in (live["time_to_callback"], *(f["time_to_callback"] for f in live["by_specialty"].values())):
        assert stats["median_seconds"] is None or stats["median_seconds"] % 1 == 0
    # Nine waits in whole minutes: 5, 30, 30, 59, 60, 4320, 4980, 5580, 14760: the median is the fifth.
    assert (live["time_to_callback"]["count"], live["time_to_callback"]["median_seconds"]) == (9, 3600.0)


def place_follow_up(session) -> None:
    """Connected calls with what came of them, and deferrals kept, broken, pending or without a request,
    on days whose follow-up is summarised by NOW (up to the 11th) and days read from the log."""
    from calllog.models import Attempt, AttemptResult, ConversationOutcome
    from rota.models import Senior

    department = Department(name="Neurosciences", timezone="Europe/Paris")
    neurology = Specialty(code="neurology", department=department, name_fr="neurologie", name_en="neurology", menu_digit="1")
    martin, durand = Senior(full_name="Dr Martin"), Senior(full_name="Dr Durand")
    session.add_all([department, neurology, martin, durand])
    session.flush()
    outcomes = list(ConversationOutcome)

    def connected(day: int, senior: Senior | None, said: ConversationOutcome | None, specialty=neurology) -> None:
        call = add_call(session, local(day, 10), specialty=specialty, outcome=CallOutcome.CONNECTED, conversation_outcome=said)
        session.add(
            Attempt(call_id=call.id, rank=0, senior_id=None if senior is None else senior.id, number="+33199000100", layer="primary",
                    started_at=local(day, 10), result=AttemptResult.ACCEPTED)
        )  # fmt: skip

    def deferred(day: int, senior: Senior | None, done_after: timedelta | None, minutes: int = 20, request: bool = True) -> None:
        call = add_call(session, local(day, 14), specialty=neurology, outcome=CallOutcome.DEFERRED)
        if request:
            session.add(
                CallbackRequest(
                    call_id=call.id, caller=call.caller, specialty_id=neurology.id, requested_at=local(day, 14, 1),
                    status=CallbackStatus.OPEN if done_after is None else CallbackStatus.DONE,
                    done_at=None if done_after is None else local(day, 14, 1) + done_after,
                    promised_by_senior_id=None if senior is None else senior.id, promised_minutes=minutes,
                )
            )  # fmt: skip

    for day in (2, 3, 9, 11, 12, 14, 15):  # summarised by NOW up to the 11th, the others read from the log
        connected(day, martin, outcomes[day % len(outcomes)])
        connected(day, durand, None)
        deferred(day, martin, timedelta(minutes=10))  # kept
        deferred(day, durand, timedelta(minutes=45))  # broken: done after the promised 20 minutes
        deferred(day, durand, None)  # broken: never done, the deadline passed
    connected(5, None, None, specialty=None)  # no specialty, no senior
    deferred(6, martin, None, request=False)  # a deferral whose request is missing
    deferred(15, martin, None, minutes=60 * 24 * 30)  # pending: a month to keep it
    session.commit()


def test_summarised_and_live_follow_up_agree(in_app, report_session):
    """What came after the calls is summarised per day once a senior can no longer answer (a week and a
    half after the day), and reads the same summarised, from the log, and later, for every scope."""
    from reports.models import FollowUpDay, FollowUpSummary

    place_follow_up(report_session)
    live = report(in_app, NOW, use_summaries=False)["follow_up"]
    assert [
        (m["month"], m["connected"], m["deferred"], m["promises_kept"], m["promises_broken"]) for m in live["by_specialty_and_month"]
    ] == [
        ("2026-03", 1, 0, 0, 0),  # the call of no specialty
        ("2026-03", 14, 22, 7, 14),  # 22 deferrals with their request: 7 kept, 14 broken, 1 pending
    ]
    promises = {p["senior"]: p for p in live["promises_by_senior"]}
    assert promises["Dr Martin"] == {"senior": "Dr Martin", "taken": 7, "deferred": 8, "kept": 7, "broken": 0, "pending": 1}
    assert promises["Dr Durand"] == {"senior": "Dr Durand", "taken": 7, "deferred": 14, "kept": 0, "broken": 14, "pending": 0}

    assert in_app(lambda s: summaries.summarise_sealed(s, NOW)) == {"Europe/Paris": 17}  # the 2nd to the 18th
    follow_up_days = in_app(lambda s: sorted(s.scalars(select(FollowUpDay.local_day))))
    assert [summaries.EPOCH_DAY + timedelta(days=d) for d in follow_up_days][-1] == date(2026, 3, 11)

    def summarised_calls(*facts: str) -> int:
        return in_app(lambda s: s.scalar(select(func.sum(FollowUpSummary.calls)).where(FollowUpSummary.fact.in_(facts))))

    assert summarised_calls("taken") == 7 * 2 + 1  # who took the calls: every sealed day, up to the 18th
    assert summarised_calls("said", "deferred") == 4 * 5 + 2  # what came of them: the 2nd, 3rd, 9th, 11th; 5th, 6th
    for specialty in (None, "neurology"):
        summarised = report(in_app, NOW, use_summaries=True, specialty=specialty)["follow_up"]
        assert summarised == report(in_app, NOW, use_summaries=False, specialty=specialty)["follow_up"]
    assert report(in_app, NOW, use_summaries=True)["follow_up"] == live

    # A month later every day is summarised; the pending promise, read from the log until then, is broken.
    later = NOW + timedelta(days=40)
    in_app(lambda s: summaries.summarise_sealed(s, later))
    assert (summarised_calls("taken"), summarised_calls("said", "deferred")) == (7 * 2 + 1, 7 * 5 + 3)
    after = report(in_app, later, use_summaries=True)["follow_up"]
    assert after == report(in_app, later, use_summaries=False)["follow_up"]
    assert {p["senior"]: p["pending"] for p in after["promises_by_senior"]}["Dr Martin"] == 0
