"""New business shared among reps as deals land: each draw's parts add up, a rep's part is lumpy."""
import numpy as np
import pytest

from territory.attainment import split_new_business


def test_parts_add_up_and_spread_as_the_deals_they_are():
    total = np.full(20_000, 1_000.0)
    shares = np.array([0.5, 0.3, 0.2, 0.0])
    parts = split_new_business(total, shares, deals=40, amount_cv=0.6, random_state=1)
    assert parts.shape == (20_000, 4) and (parts[:, 3] == 0).all()
    assert parts.sum(axis=1) == pytest.approx(total)
    assert parts.mean(axis=0)[:3] == pytest.approx(1_000 * shares[:3], rel=0.01)
    # A rep's share varies as a multinomial of 40 deals with amounts of cv 0.6 would.
    expected_sd = np.sqrt(shares[:3] * (1 - shares[:3]) * (1 + 0.36) / 40) * 1_000
    assert parts.std(axis=0)[:3] == pytest.approx(expected_sd, rel=0.03)


def test_one_rep_or_no_deal_count_takes_the_exact_split():
    total = np.array([10.0, 20.0])
    assert split_new_business(total, np.array([0.0, 1.0]), deals=5).tolist() == [[0, 10], [0, 20]]
    exact = split_new_business(total, np.array([1.0, 3.0]), deals=np.nan)
    assert exact.tolist() == [[2.5, 7.5], [5.0, 15.0]]
    assert (split_new_business(total, np.zeros(2), deals=5) == 0).all()
