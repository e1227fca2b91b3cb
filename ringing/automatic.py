"""Automatic staged ringing: S computed from the call log (issue 14 item 4).

Each senior's *answer profile* at an hour of the week is the share of their attempts that reached a
human (pressed 1, or 3 to defer) within t seconds of their phone being dialled, for every t. It is
read from the log of the last weeks, at that hour of the week; sparse hours lean on the senior's
profile over all hours, and a senior without history on a cautious prior. With the primary's profile P
and the backup's B, the share of GPs who reach a human within T seconds is

- sequential: P(T) + (1 - P(R + A))·B(T - R - G) — the primary rings R s (and answers within R + A,
  A the announcement), a sentence of G s, then the backup;
- staged after S: 1 - (1 - P(T))·(1 - B(T - S)) — the backup's phone starts at S,

and the backup rings in 1 - P(R + A) (sequential) or 1 - P(S) (staged) of the calls. Automatic S is the
largest S that still reaches the target (90 % of GPs within 30 s): the backup rings as little as
possible; when no S reaches it, the S that comes closest (usually 0: both at once).

The same functions serve the webhooks (one S per call), ``flask ringing show`` (the figures each setting
would have given over the last weeks) and ``bench/ringing.py``.
"""

from __future__ import annotations

import bisect
import time as _time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from calllog.models import Attempt, AttemptResult, Call

TARGET_SECONDS = 30
TARGET_SHARE = 0.9
HISTORY = timedelta(weeks=12)
# How many observations of the senior's all-hours profile weigh in with an hour of the week.
SMOOTHING = 6.0
# A senior nobody has measured yet: 60 % reach a human, 15 s after dialling (ring, announcement, key).
PRIOR = (0.6, 15.0)
SENTENCE_SECONDS = 3.0  # "No answer, calling another senior." between two sequential legs
# The ring timeout stops at pick-up; the announcement and the key come after (a known GP's, about 10 s).
ANNOUNCEMENT_SECONDS = 10.0
HORIZON = 120  # seconds over which the expected time to a human is summed


@dataclass(frozen=True)
class Profile:
    """Seconds after dialling at which a human was reached, sorted, out of ``attempts`` (plus a weight
    ``prior`` of the fallback profile)."""

    times: tuple[float, ...]
    attempts: int

    def share_within(self, seconds: float) -> float:
        if seconds < 0 or self.attempts == 0:
            return 0.0
        return bisect.bisect_right(self.times, seconds) / self.attempts


@dataclass(frozen=True)
class Blend:
    """An hour's profile leaning on a fallback when it has few observations."""

    own: Profile
    fallback: Profile | Blend | None
    weight: float = SMOOTHING

    def share_within(self, seconds: float) -> float:
        if self.fallback is None:
            return self.own.share_within(seconds)
        n = self.own.attempts
        return (n * self.own.share_within(seconds) + self.weight * self.fallback.share_within(seconds)) / (n + self.weight)


def prior_profile() -> Profile:
    share, seconds = PRIOR
    return Profile(tuple([seconds] * int(share * 10)), 10)


def profile_of(observations: Iterable[float | None]) -> Profile:
    """``None`` for an attempt that reached nobody."""
    values = list(observations)
    return Profile(tuple(sorted(v for v in values if v is not None)), len(values))


def reach_share(primary, backup, *, staged_after: float | None, within: float, ring_seconds: float) -> float:
    """The share of GPs reaching a human within ``within`` s (``staged_after`` None: sequential)."""
    if staged_after is None:
        p_ring = primary.share_within(ring_seconds + ANNOUNCEMENT_SECONDS)
        return primary.share_within(min(within, ring_seconds + ANNOUNCEMENT_SECONDS)) + (1 - p_ring) * backup.share_within(
            within - ring_seconds - SENTENCE_SECONDS
        )
    return 1 - (1 - primary.share_within(within)) * (1 - backup.share_within(within - staged_after))


def backup_ring_share(primary, *, staged_after: float | None, ring_seconds: float) -> float:
    return 1 - primary.share_within(ring_seconds + ANNOUNCEMENT_SECONDS if staged_after is None else staged_after)


def expected_seconds(primary, backup, *, staged_after: float | None, ring_seconds: float) -> float:
    """Mean seconds to a human, counting those who reach none as HORIZON."""
    return sum(1 - reach_share(primary, backup, staged_after=staged_after, within=t, ring_seconds=ring_seconds) for t in range(HORIZON))


def choose_seconds(primary, backup, *, ring_seconds: float, target_share: float = TARGET_SHARE, within: float = TARGET_SECONDS) -> int:
    best, best_share = 0, -1.0
    for seconds in range(int(ring_seconds), -1, -1):  # the longest S first: the fewest backup rings
        share = reach_share(primary, backup, staged_after=seconds, within=within, ring_seconds=ring_seconds)
        if share >= target_share:
            return seconds
        if share > best_share + 1e-12:
            best, best_share = seconds, share
    return best


def hour_of_week(at: datetime, zone: ZoneInfo) -> int:
    local = at.astimezone(zone)
    return local.weekday() * 24 + local.hour


# -- from the call log --------------------------------------------------------------------------------


def _reached_after(attempt: Attempt) -> float | None:
    if attempt.result is AttemptResult.ACCEPTED and attempt.accepted_at is not None:
        return (attempt.accepted_at - attempt.started_at).total_seconds()
    if attempt.result is AttemptResult.DEFERRED and attempt.answered_at is not None:
        return (attempt.answered_at - attempt.started_at).total_seconds()
    return None


# Results that say nothing about the senior: the GP hung up, or a colleague was faster.
_UNINFORMATIVE = (AttemptResult.CALLER_HUNG_UP, AttemptResult.CANCELLED, None)


def observations(session: Session, senior_ids: Sequence[int], since: datetime, zone: ZoneInfo) -> dict[int, dict[int, list]]:
    """senior → hour of the week → [seconds to a human or None], from the log since ``since``."""
    found: dict[int, dict[int, list]] = {s: defaultdict(list) for s in senior_ids}
    rows = session.scalars(
        select(Attempt).join(Call, Call.id == Attempt.call_id).where(Attempt.senior_id.in_(senior_ids), Attempt.started_at >= since)
    ).all()
    for attempt in rows:
        if attempt.result in _UNINFORMATIVE:
            continue
        found[attempt.senior_id][hour_of_week(attempt.started_at, zone)].append(_reached_after(attempt))
    return found


def senior_profiles(by_hour: dict[int, list]) -> tuple[Profile, dict[int, Profile]]:
    overall = profile_of(v for values in by_hour.values() for v in values)
    return overall, {hour: profile_of(values) for hour, values in by_hour.items()}


def profile_at(by_hour: dict[int, list], hour: int) -> Blend:
    overall, hours = senior_profiles(by_hour)
    base = Blend(overall, prior_profile()) if overall.attempts else Blend(prior_profile(), None)
    return Blend(hours.get(hour, Profile((), 0)), base)


_cache: dict[tuple, tuple[float, int]] = {}
CACHE_SECONDS = 900.0


def seconds_for(session: Session, settings, primary_id: int, backup_id: int, now: datetime) -> int:
    """Automatic S for this pair of seniors at this hour of the week (cached a quarter of an hour)."""
    zone = ZoneInfo(settings.scheduler.timezone)
    hour = hour_of_week(now, zone)
    key = (id(settings), primary_id, backup_id, hour, now.date())
    cached = _cache.get(key)
    if cached is not None and _time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    found = observations(session, [primary_id, backup_id], now - HISTORY, zone)
    seconds = choose_seconds(profile_at(found[primary_id], hour), profile_at(found[backup_id], hour), ring_seconds=settings.ring_timeout)
    _cache[key] = (_time.monotonic(), seconds)
    return seconds


@dataclass(frozen=True)
class Expectation:
    setting: str  # "sequential", "staged 10 s", "automatic"
    share_within_target: float | None
    mean_seconds: float | None
    backup_rings_per_week: float


def expectations(
    session: Session, settings, specialty_id: int, now: datetime, fixed: Sequence[int] = (5, 10, 15), weeks: int = 4
) -> list[Expectation]:
    """What each setting would have given on the specialty's calls of the last ``weeks`` weeks (those
    with a primary and a backup), with the profiles measured in the log."""
    from ivr.staged import _hunt  # the hunt list as the call kept it

    zone = ZoneInfo(settings.scheduler.timezone)
    since = now - timedelta(weeks=weeks)
    calls = session.scalars(select(Call).where(Call.specialty_id == specialty_id, Call.started_at >= since)).all()
    pairs = []
    for call in calls:
        hunt = _hunt(call)
        if len(hunt) >= 2:
            pairs.append((hunt[0].senior_id, hunt[1].senior_id, hour_of_week(call.started_at, zone)))
    seniors = sorted({s for p, b, _ in pairs for s in (p, b)})
    found = observations(session, seniors, now - HISTORY, zone) if seniors else {}
    ring = settings.ring_timeout
    settings_to_try: list[tuple[str, object]] = [("sequential", None), *((f"staged {s} s", s) for s in fixed), ("automatic", "auto")]
    results = []
    for label, how in settings_to_try:
        share = mean = rings = 0.0
        for primary_id, backup_id, hour in pairs:
            primary, backup = profile_at(found[primary_id], hour), profile_at(found[backup_id], hour)
            after = choose_seconds(primary, backup, ring_seconds=ring) if how == "auto" else how
            share += reach_share(primary, backup, staged_after=after, within=TARGET_SECONDS, ring_seconds=ring)
            mean += expected_seconds(primary, backup, staged_after=after, ring_seconds=ring)
            rings += backup_ring_share(primary, staged_after=after, ring_seconds=ring)
        n = len(pairs)
        results.append(Expectation(label, share / n if n else None, mean / n if n else None, rings / weeks))
    return results
