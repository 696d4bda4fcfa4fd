"""Dispute rates: the rate and its Wilson interval against scipy, the overturned share, and which
rates are flagged as above the others (a difference beyond noise, Newcombe's interval)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from qagrader.analysis.dispute_rates import rate_table
from qagrader.core.disputes.counts import DisputeCount


def count(grader: str, evaluations: int, disputed: int, accepted: int = 0, rejected: int = 0) -> DisputeCount:
    return DisputeCount(grader, None, None, None, evaluations, disputed, accepted, rejected,
                        disputed - accepted - rejected)


def test_rates_and_intervals_match_scipy():
    table = rate_table([count("Ana", 200, 30, 12, 10), count("Ben", 300, 6, 1, 5), count("Cy", 40, 0)],
                       ["grader"]).set_index("grader")
    for grader, k, n in (("Ana", 30, 200), ("Ben", 6, 300), ("Cy", 0, 40)):
        row = table.loc[grader]
        expected = stats.binomtest(k, n).proportion_ci(method="wilson")
        assert row["rate"] == pytest.approx(k / n)
        assert (row["rate_ci_low"], row["rate_ci_high"]) == pytest.approx((expected.low, expected.high))
    ana = table.loc["Ana"]
    overturned = stats.binomtest(12, 22).proportion_ci(method="wilson")
    assert ana["overturned"] == pytest.approx(12 / 22)
    assert (ana["overturned_ci_low"], ana["overturned_ci_high"]) == pytest.approx((overturned.low, overturned.high))
    assert np.isnan(table.loc["Cy", "overturned"])  # nothing resolved: no share to show
    # Ana (15%) against the others (6 of 340, under 2%): beyond noise; Ben and Cy are not above
    assert table["above_usual"].to_dict() == {"Ana": True, "Ben": False, "Cy": False}


def test_one_disputed_grade_among_few_is_not_flagged():
    table = rate_table([count("Sam", 35, 1), count("Priya", 80, 0), count("Tom", 74, 0)], ["grader"])
    assert not table["above_usual"].any()
    alone = rate_table([count("Sam", 35, 10)], ["grader"])
    assert not alone["above_usual"].any()  # nobody to compare with
