"""The written definitions of rates and percentiles, at their edges (no database)."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.definitions import TEXT, miss_rate, missed, percentile, percentile_of_counts, rate, sections


def test_percentile_of_nothing_is_undefined():
    assert percentile([], 0.5) is None and percentile([], 0.9) is None
    assert percentile_of_counts({}, 0.5) is None


def test_one_duration_is_its_own_median_and_p90():
    assert percentile([7], 0.5) == percentile([7], 0.9) == 7
    assert percentile_of_counts({7: 1}, 0.9) == 7


def test_two_durations_interpolate():
    assert percentile([10, 20], 0.5) == 15
    assert percentile([10, 20], 0.9) == 19  # 10 + 0.9 x (20 - 10)


def test_p90_of_eleven_values_is_exactly_the_tenth():
    # (11 - 1) x 0.9 = 9 exactly: no interpolation, and no 8.999... from binary floating point.
    values = list(range(100, 111))
    assert percentile(values, 0.9) == 109


def test_p90_of_ten_values():
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 100]
    assert percentile(values, 0.9) == pytest.approx(9 + 0.1 * 91)  # position 8.1: 10 % of the way from 9 to 100
    assert percentile(values, 0.5) == 5.5


def test_ties_and_the_extremes():
    assert percentile([3, 3, 3, 8], 0.5) == 3
    assert percentile([1, 5, 9], 0.0) == 1 and percentile([1, 5, 9], 1.0) == 9


def test_p_outside_0_1_is_an_error():
    with pytest.raises(ValueError):
        percentile([1], 1.5)
    with pytest.raises(ValueError):
        percentile_of_counts({1: 1}, -0.1)


def test_the_definition_is_excels_inclusive_and_numpys_linear():
    values = [2, 4, 4, 5, 7, 9, 10, 12, 15, 21, 30]
    # statistics.quantiles(method="inclusive") is the same linear interpolation between closest ranks.
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    assert percentile(values, 0.9) == pytest.approx(deciles[8])
    assert percentile(values, 0.5) == statistics.median(values)


@given(st.dictionaries(st.integers(0, 3600), st.integers(1, 5), min_size=1, max_size=40), st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]))
def test_the_histogram_form_is_the_same_definition(counts, p):
    """The databases return (whole seconds, how many); expanding them gives the same percentile."""
    expanded = sorted(value for value, n in counts.items() for _ in range(n))
    assert percentile_of_counts(counts, p) == percentile(expanded, p)


def test_rates_are_undefined_without_a_denominator():
    assert rate(0, 0) is None and rate(3, 0) is None
    assert rate(0, 4) == 0.0 and rate(1, 3) == 1 / 3


def test_missed_attempts_and_miss_rate():
    counts = {"accepted": 2, "no_answer": 2, "busy": 1, "not_accepted": 1, "declined": 1, "failed": 1}
    counts |= {"caller_hung_up": 5, "in_progress": 1}
    assert missed(counts) == 6  # the GP hanging up and attempts in progress are not the senior's misses
    assert miss_rate(counts) == 6 / 8
    assert miss_rate({"caller_hung_up": 3}) is None
    assert miss_rate({"accepted": 4}) == 0.0


def test_the_definitions_text_renders_as_sections():
    titles = [title for title, _ in sections()]
    assert titles[1:] == [
        "Period and time zone",
        "Scope",
        "Calls and outcomes",
        "Time to first ring, time to connection",
        "Percentiles",
        "Attempts",
        "Hours, days and weeks",
        "Callback requests",
        "After the call",
        "Unanswered calls",
        "Freshness",
    ]
    outcomes = dict(sections())["Calls and outcomes"]
    assert any(isinstance(block, list) and any(item.startswith("connected:") for item in block) for block in outcomes)
    assert "inclusive" in TEXT and "60 minutes" in TEXT
