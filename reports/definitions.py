"""What every figure of the call reports means. The report page shows this text; the README copies it.

Period and time zone
--------------------
A report covers whole days in the local time of the department, from the first day through the last
day **inclusive**: ``flask report --from 2026-03-01 --to 2026-03-31`` (or ``?from=2026-03-01&to=2026-03-31``)
is the whole of March. The instants covered are the half-open interval [local midnight that starts the
first day, local midnight that ends the last day), so a day with a daylight-saving change lasts 23 or
25 hours and no call is counted twice or missed. A call belongs to the local day, hour and week in which
it *started*, even if it ended after midnight; its attempts go with it. Weeks start on Monday. The time
zone is the department's; a report over several departments needs them to share one zone.

Scope
-----
A specialty: the calls whose GP chose it (by key, by word, or by dialling its direct number). A
department: the calls of all its specialties. The whole hotline: every call, including those that never
chose a specialty (abandoned in the menu, sent to the switchboard from the menu), which belong to no
specialty and so appear only in the hotline-wide report.

Calls and outcomes
------------------
*Calls* are the calls started in the period, in scope, whatever became of them. Each has exactly one
outcome, the best thing that happened to it:

- connected: a senior pressed 1 and was put through;
- deferred: a senior answered, pressed 3 and promised to call the GP back within their specialty's
  minutes (the callback request is theirs, with that deadline): neither missed nor connected;
- callback requested: nobody could be reached and the GP asked to be called back;
- switchboard: the GP was put through to the switchboard (menu failures, key 0, or an error);
- failed: an error ended the call before the switchboard could take it;
- nobody on duty: the specialty had nobody on duty and the GP hung up without asking for a callback;
- abandoned while hunting: the GP hung up while seniors were being rung;
- abandoned in the menu: the GP hung up before choosing a specialty;
- in progress: the call had not ended when the report was made.

The *rate* of an outcome is the number of calls with that outcome divided by the number of calls
(connected rate, callback-requested rate, ...). With no calls a rate is undefined: shown "—", null in
JSON, never 0.

*Found nobody on duty* counts the calls whose specialty had nobody on duty at that instant, whatever the
GP did next (most ask for a callback): it measures gaps in the rota, and is not an outcome.

Time to first ring, time to connection
--------------------------------------
Time to first ring = the instant the first senior's phone started ringing - the instant Recours answered
the GP, over the calls that rang at least one senior. Time to connection = the instant a senior accepted -
the instant Recours answered, over the connected calls. Both are counted in whole seconds, the fraction
of a second dropped (Twilio itself reports whole seconds).

Percentiles
-----------
The median is the 50th percentile and p90 the 90th. Of n durations sorted x_1 <= ... <= x_n, the p-th
percentile is read at position h = 1 + (n - 1)·p, between the two closest ranks:
P = x_⌊h⌋ + (h - ⌊h⌋)·(x_⌊h⌋+1 - x_⌊h⌋) (linear interpolation: PostgreSQL's ``percentile_cont``,
numpy's default, Excel's PERCENTILE.INC). One duration is its own median and p90; with none they are
undefined. The databases only count how many calls took each whole number of seconds; this one
definition is then computed in Python, so SQLite and PostgreSQL report the same figures.

Attempts
--------
An attempt is one senior's phone dialled for one call; it counts in the period and scope of its call.
Results: accepted (pressed 1); no answer (rang out); busy; not accepted (picked up but nobody pressed 1:
usually a voicemail); declined (pressed another key); deferred (pressed 3: promised to call back, not a
miss); failed (the network could not reach the phone);
caller hung up (the GP hung up while this phone rang: not the senior's miss); cancelled (staged ringing:
a colleague accepted first and Recours stopped this phone: not a miss either); in progress.
*Missed* = no answer + busy + not accepted + declined + failed. *Miss rate* = missed ÷ (accepted +
missed), undefined when both are 0. The seniors with the most missed attempts are ranked by missed
attempts, then miss rate, then name.

Hours, days and weeks
---------------------
The heat map counts calls by the local day of the week and hour at which they started. On the spring
daylight-saving day the skipped hour has no calls; on the autumn day the repeated hour holds both. The
trend has one row per week (Monday to Sunday) that overlaps the period; a week cut by the period is
marked partial and counts only its days inside the period.

Callback requests
-----------------
The callback requests made in the period (by the instant of the request), in scope (the specialty of
their call). Each has a deadline: its own ``deadline_at`` when the callbacks scheduler has set one,
otherwise the default deadline after the request (``CALLBACK_DEADLINE_MINUTES``: 60 minutes unless
configured). *Open* and *done* are as at the time of the report; *overdue* = still open and the
deadline has come (now >= deadline); *done late* = done at or after the deadline. Time to callback =
done - requested, over the done requests, counted in whole minutes (the seconds dropped), with the median
and p90 above: so those two are exact to the minute, not to the second.

After the call
--------------
By local month of the call and specialty: *connected* calls split by what the senior who took the call
said came of it (advice only, consultation booked, urgent slot booked, direct admission, sent to the
emergency department, other; *not said* until they answer the SMS or the page), and *deferred* calls
with their promises: *kept* = called back before the deadline, *broken* = called back at or after it, or
not at all once it has passed; the others are *not due yet*. The same promises by the senior who made
them, beside the calls each senior took, the most broken first.

Unanswered calls
----------------
The finished calls in scope that chose a specialty and were not connected (callback requested,
switchboard, nobody on duty, abandoned while hunting, failed), newest first, each with its attempts in
the order the seniors were rung.

Freshness
---------
Figures are as at the moment the report is made. A local day is counted once into summary tables 24
hours after it ends (by then its calls and their status reports are complete); until then it is read from
the call log itself, which gives the same figures. A correction made later to the calls of an old day
shows once that day is summarised again (``flask report summarise --rebuild``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import timedelta
from fractions import Fraction

from calllog.models import CONVERSATION_OUTCOME_LABELS, AttemptResult, CallOutcome
from core.words import N_

# The first paragraph headings above, for the page: the module docstring is the one text.
TEXT = __doc__ or ""

# Outcomes in the order of the tables; None (no outcome yet) is shown as "in progress".
IN_PROGRESS = "in_progress"
OUTCOMES: tuple[str, ...] = (
    CallOutcome.CONNECTED.value,
    CallOutcome.DEFERRED.value,
    CallOutcome.CALLBACK_REQUESTED.value,
    CallOutcome.SWITCHBOARD.value,
    CallOutcome.FAILED.value,
    CallOutcome.NOBODY_ON_DUTY.value,
    CallOutcome.ABANDONED_WHILE_HUNTING.value,
    CallOutcome.ABANDONED_IN_MENU.value,
    CallOutcome.UNKNOWN.value,
    IN_PROGRESS,
)
OUTCOME_LABELS = {
    "connected": N_("connected"),
    "deferred": N_("deferred with a promise"),
    "callback_requested": N_("callback requested"),
    "switchboard": N_("switchboard"),
    "failed": N_("failed"),
    "nobody_on_duty": N_("nobody on duty"),
    "abandoned_while_hunting": N_("abandoned while hunting"),
    "abandoned_in_menu": N_("abandoned in the menu"),
    "unknown": N_("ended, outcome unknown"),
    IN_PROGRESS: N_("in progress"),
}
# Unanswered calls: chose a specialty, finished, not connected.
UNANSWERED_OUTCOMES: tuple[CallOutcome, ...] = (
    CallOutcome.CALLBACK_REQUESTED,
    CallOutcome.SWITCHBOARD,
    CallOutcome.FAILED,
    CallOutcome.NOBODY_ON_DUTY,
    CallOutcome.ABANDONED_WHILE_HUNTING,
)

RESULTS: tuple[str, ...] = (
    AttemptResult.ACCEPTED.value,
    AttemptResult.NO_ANSWER.value,
    AttemptResult.BUSY.value,
    AttemptResult.NOT_ACCEPTED.value,
    AttemptResult.DECLINED.value,
    AttemptResult.DEFERRED.value,
    AttemptResult.FAILED.value,
    AttemptResult.CALLER_HUNG_UP.value,
    AttemptResult.UNKNOWN.value,
    AttemptResult.CANCELLED.value,
    IN_PROGRESS,
)
RESULT_LABELS = {
    "accepted": N_("accepted"),
    "no_answer": N_("no answer"),
    "busy": N_("busy"),
    "not_accepted": N_("not accepted (voicemail)"),
    "declined": N_("declined"),
    "deferred": N_("deferred with a promise"),
    "failed": N_("failed"),
    "caller_hung_up": N_("caller hung up"),
    "unknown": N_("result unknown"),
    "cancelled": N_("cancelled (a colleague took it)"),
    IN_PROGRESS: N_("in progress"),
}
MISSED_RESULTS: frozenset[str] = frozenset(
    {
        AttemptResult.NO_ANSWER.value,
        AttemptResult.BUSY.value,
        AttemptResult.NOT_ACCEPTED.value,
        AttemptResult.DECLINED.value,
        AttemptResult.FAILED.value,
    }
)

DEFAULT_CALLBACK_DEADLINE = timedelta(minutes=60)
MEDIAN, P90 = 0.5, 0.9
MOST_MISSED_LIMIT = 10
# As machines read them (CSV, JSON); people read their language's own names (core.words, from Babel).
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LAYER_LABELS = {"primary": N_("primary"), "backup": N_("backup"), "last_resort": N_("last resort")}
CALLBACK_LABELS = {"open": N_("callback open"), "done": N_("callback done")}
# What came of a conversation, as the senior said (calllog/conversation.py), and "not said".
CONVERSATION_LABELS = {
    **{outcome.value: label for outcome, label in CONVERSATION_OUTCOME_LABELS.items()},
    "not_answered": N_("not said"),
}


def rate(part: int, whole: int) -> float | None:
    """``part / whole``; None (undefined, never 0) when ``whole`` is 0."""
    return None if whole == 0 else part / whole


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0 <= p <= 1) of values sorted ascending, by linear interpolation between
    the closest ranks (``percentile_cont``); None for no values. See "Percentiles" above."""
    # Exact arithmetic (0.9 read as 9/10), so the rank is never 8.999... for a p90 of 11 values.
    exact_p = Fraction(str(p))
    if not 0 <= exact_p <= 1:
        raise ValueError(f"p must be between 0 and 1, got {p}")
    n = len(sorted_values)
    if n == 0:
        return None
    position = (n - 1) * exact_p  # 0-based: h - 1 in the text
    below = math.floor(position)
    above = min(below + 1, n - 1)
    low, high = Fraction(sorted_values[below]), Fraction(sorted_values[above])
    return float(low + (position - below) * (high - low))


def missed(counts: dict[str, int]) -> int:
    return sum(counts.get(result, 0) for result in MISSED_RESULTS)


def miss_rate(counts: dict[str, int]) -> float | None:
    misses = missed(counts)
    return rate(misses, counts.get(AttemptResult.ACCEPTED.value, 0) + misses)


def percentile_of_counts(counts: Mapping[int, int], p: float) -> float | None:
    """:func:`percentile` of the values ``v`` repeated ``counts[v]`` times, without writing them out:
    the databases return durations as (whole seconds, how many) pairs."""
    exact_p = Fraction(str(p))
    if not 0 <= exact_p <= 1:
        raise ValueError(f"p must be between 0 and 1, got {p}")
    n = sum(counts.values())
    if n == 0:
        return None
    position = (n - 1) * exact_p
    below = math.floor(position)
    low = high = None
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if low is None and seen > below:
            low = value
        if seen > below + 1 or seen == n:
            high = value
            break
    assert low is not None and high is not None
    return float(low + (position - below) * (Fraction(high) - low))


def sections(text: str = TEXT) -> list[tuple[str, list[str | list[str]]]]:
    """The definitions as (heading, blocks) for the page; a block is a paragraph or a list of items."""
    result: list[tuple[str, list[str | list[str]]]] = []
    lines = text.strip().splitlines()
    blocks: list[str | list[str]] = []
    paragraph: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            blocks.append(" ".join(paragraph))
            paragraph.clear()

    heading = lines[0]
    n = 1
    while n < len(lines):
        line = lines[n].rstrip()
        if n + 1 < len(lines) and set(lines[n + 1].strip()) == {"-"} and line:
            end_paragraph()
            result.append((heading, blocks))
            heading, blocks = line, []
            n += 2
            continue
        if not line:
            end_paragraph()
        elif line.startswith("- "):
            end_paragraph()
            if not blocks or not isinstance(blocks[-1], list):
                blocks.append([])
            items = blocks[-1]
            assert isinstance(items, list)
            items.append(line[2:])
        elif line.startswith("  ") and blocks and isinstance(blocks[-1], list) and not paragraph:
            items = blocks[-1]
            items[-1] += " " + line.strip()
        else:
            paragraph.append(line)
        n += 1
    end_paragraph()
    result.append((heading, blocks))
    return result
