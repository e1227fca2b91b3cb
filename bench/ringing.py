"""Ringing strategies on a simulated month: ``python -m bench.ringing [--seed N] [--calls-per-day N]``.

A specialty of six seniors taking turns as primary and backup (day d: primary d mod 6, backup d+1 mod
6). Each senior answers with a probability that depends on the hour — everyone has a good base rate,
and each a three-hour dip (ward rounds, clinic, theatre) where they mostly let it ring. A senior who
answers picks up after 2-14 s of ringing and presses 1 (or 3) at the end of the announcement, 9 s later
(the ring timeout stops at pick-up).

Month 1 is rung sequentially and becomes the call log that automatic ringing learns from (answer
profiles per senior and hour of the week, :mod:`ringing.automatic`). Month 2 is then played under each
strategy with the same people doing the same things (common random numbers): sequential (the primary
rings 20 s, a sentence, then the backup), staged after a fixed S, and automatic staged (S chosen per
call from month 1's profiles for that pair of seniors at that hour). Printed side by side: the share of
GPs who reach a human within 30 s, the mean seconds to a human (two minutes for those who reach none)
and the backup rings per week. Nothing is timed: these are the strategies' figures, not the machine's.
"""

from __future__ import annotations

import argparse
import random
from collections import defaultdict
from dataclasses import dataclass

from ringing import automatic

SENIORS = 6
RING = 20  # RING_TIMEOUT, seconds
ANNOUNCEMENT = 9.0  # from pick-up to the key, a known GP
DAYS = 28
HOURS_WEIGHT = [0.2] * 7 + [1.0] * 12 + [0.6] * 3 + [0.3] * 2  # calls by hour of the day: mostly 7-19 h


@dataclass(frozen=True)
class Senior:
    base: float
    dip_start: int  # the hour their three-hour dip starts
    dip: float

    def answers(self, hour: int) -> float:
        return self.dip if self.dip_start <= hour < self.dip_start + 3 else self.base


@dataclass(frozen=True)
class Draw:
    """What one senior does if rung for this call: seconds from dialling to pick-up and to the key
    (None: lets it ring)."""

    pickup: float | None

    @property
    def reached_after(self) -> float | None:
        return None if self.pickup is None else self.pickup + ANNOUNCEMENT

    def within(self, ring: float) -> float | None:
        """Seconds to the key, if they pick up before the leg's ring timeout."""
        return self.reached_after if self.pickup is not None and self.pickup <= ring else None


def seniors(rng: random.Random) -> list[Senior]:
    return [Senior(rng.uniform(0.7, 0.95), rng.choice([8, 9, 10, 13, 14, 15]), rng.uniform(0.1, 0.35)) for _ in range(SENIORS)]


def month(rng: random.Random, people: list[Senior], calls_per_day: int, first_day: int):
    """Calls of DAYS days: (hour of the week, primary, backup, the primary's draw, the backup's draw)."""
    calls = []
    for day in range(first_day, first_day + DAYS):
        primary, backup = day % SENIORS, (day + 1) % SENIORS
        for _ in range(calls_per_day):
            hour = rng.choices(range(24), HOURS_WEIGHT)[0]
            draws = []
            for who in (primary, backup):
                if rng.random() < people[who].answers(hour):
                    draws.append(Draw(rng.uniform(2, 14)))
                else:
                    draws.append(Draw(None))
            calls.append(((day % 7) * 24 + hour, primary, backup, draws[0], draws[1]))
    return calls


def play(call, staged_after: float | None) -> tuple[float | None, bool]:
    """(seconds to a human or None, whether the backup's phone rang)."""
    _hour, _p, _b, primary, backup = call
    if staged_after is None:
        p = primary.within(RING)
        if p is not None:
            return p, False
        b = backup.within(RING)
        return (None if b is None else RING + automatic.SENTENCE_SECONDS + b), True
    p = primary.within(staged_after + RING)  # the primary rings on while the backup does
    if p is not None and p <= staged_after:
        return p, False
    b = backup.within(RING)
    times = [t for t in (p, None if b is None else staged_after + b) if t is not None]
    return (min(times) if times else None), True


def history_profiles(calls) -> dict[int, dict[int, list]]:
    """Month 1 rung sequentially, as the call log would hold it."""
    found: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for hour, primary, backup, p, b in calls:
        found[primary][hour].append(p.within(RING))
        if p.within(RING) is None:
            found[backup][hour].append(b.within(RING))
    return found


def figures(calls, choose) -> tuple[float, float, float, float]:
    within = total_seconds = rings = chosen = 0.0
    for call in calls:
        after = choose(call)
        reached, rang = play(call, after)
        within += reached is not None and reached <= automatic.TARGET_SECONDS
        total_seconds += reached if reached is not None else automatic.HORIZON
        rings += rang
        chosen += after if after is not None else 0
    n = len(calls)
    return within / n, total_seconds / n, rings / (DAYS / 7), chosen / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--calls-per-day", type=int, default=25)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    people = seniors(rng)
    learnt = history_profiles(month(rng, people, args.calls_per_day, 0))
    calls = month(rng, people, args.calls_per_day, DAYS)

    def auto(target: float):
        def choose(call):
            hour, primary, backup, _p, _b = call
            p, b = automatic.profile_at(learnt[primary], hour), automatic.profile_at(learnt[backup], hour)
            return automatic.choose_seconds(p, b, ring_seconds=RING, target_share=target)

        return choose

    strategies = [
        ("sequential", lambda call: None),
        *((f"staged S={s} s", lambda call, s=s: s) for s in (5, 10, 15)),
        ("automatic 90 %", auto(0.9)),
        ("automatic 80 %", auto(0.8)),
    ]
    print(f"{len(calls)} calls over {DAYS} days, {SENIORS} seniors (answer rates by hour: base / dip)")
    for n, senior in enumerate(people):
        print(f"  senior {n}: {100 * senior.base:.0f} %, {100 * senior.dip:.0f} % from {senior.dip_start}:00 to {senior.dip_start + 3}:00")
    print(f"automatic: the longest S per call that still reaches the target share within {automatic.TARGET_SECONDS} s")
    print(f"{'strategy':<16} {'within 30 s':>11} {'mean to human':>14} {'backup rings/week':>18} {'mean S':>7}")
    for label, choose in strategies:
        share, mean, rings, chosen = figures(calls, choose)
        shown_s = "—" if label == "sequential" else f"{chosen:.1f}"
        print(f"{label:<16} {100 * share:>10.1f} % {mean:>12.1f} s {rings:>18.1f} {shown_s:>7}")


if __name__ == "__main__":
    main()
