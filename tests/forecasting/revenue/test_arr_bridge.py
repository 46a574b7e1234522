"""The ARR bridge on a hand-made book of six SMB accounts, quarter 2026Q3 (July-September).

    account  on 2026-06-30 (eve)         on 2026-09-30 (end)                  flow
    A        A1 300                      A1 300 + add-on A2 110 (from Aug)    expansion 110
    B        B1 200 (ends 31 Jul)        renewal B2 170 (from 1 Aug)          contraction 30
    C        C1 150 (ends 31 Aug)        nothing                              churn 150
    D        D1 120 (ends 14 Jul)        renewal D2 120 (from 15 Jul)         none
    E        E1 100 (open-ended)         E1 100                               none
    F        nothing                     F1 80 (from 1 Sep)                   new 80
    total    870 (5 accounts)            880
GRR = (870 - 30 - 150) / 870 = 690/870; NRR = (870 + 110 - 30 - 150) / 870 = 800/870; logo churn 1/5.
"""
import numpy as np
import pandas as pd
import pytest

from forecasting.revenue import RevenueInputError, account_arr, arr_bridge, prepare_subscriptions

ROWS = [
    ("C0", "C", "2024-09-01", "2025-08-31", 150),  # C's earlier year, renewed by C1
    ("A1", "A", "2025-10-01", "2026-09-30", 300),
    ("A2", "A", "2026-08-01", "2026-09-30", 110),
    ("B1", "B", "2025-08-01", "2026-07-31", 200),
    ("B2", "B", "2026-08-01", "2027-07-31", 170),
    ("C1", "C", "2025-09-01", "2026-08-31", 150),
    ("D1", "D", "2025-07-15", "2026-07-14", 120),
    ("D2", "D", "2026-07-15", "2027-07-14", 120),
    ("E1", "E", "2024-01-01", "", 100),
    ("F1", "F", "2026-09-01", "2027-08-31", 80),
]


def six_accounts() -> pd.DataFrame:
    frame = pd.DataFrame(ROWS, columns=["subscription_id", "account_id", "start_date", "end_date", "arr"])
    frame.insert(2, "segment", "SMB")
    frame["end_date"] = frame["end_date"].replace("", None)
    return frame


def test_quarter_bridge_counts_exactly():
    bridge = arr_bridge(six_accounts(), freq="Q", as_of="2026-09-30")
    row = bridge[(bridge["segment"] == "SMB") & (bridge["period"] == "2026Q3")].iloc[0]
    assert (row["starting_arr"], row["new_arr"], row["expansion_arr"], row["contraction_arr"],
            row["churned_arr"], row["ending_arr"]) == (870, 80, 110, 30, 150, 880)
    assert row["grr"] == pytest.approx(690 / 870) and row["nrr"] == pytest.approx(800 / 870)
    assert (row["accounts_start"], row["accounts_churned"]) == (5, 1)
    assert row["logo_churn_rate"] == pytest.approx(1 / 5)
    assert bool(row["complete"])
    total = bridge[(bridge["segment"] == "ALL") & (bridge["period"] == "2026Q3")].iloc[0]
    assert total[["starting_arr", "ending_arr", "grr", "nrr"]].tolist() == row[["starting_arr", "ending_arr", "grr", "nrr"]].tolist()


def test_periods_chain_and_balance():
    bridge = arr_bridge(six_accounts(), freq="M", as_of="2026-09-30")
    for _, frame in bridge.groupby("segment"):
        frame = frame.sort_values("period")
        assert np.allclose(frame["starting_arr"].iloc[1:].to_numpy(), frame["ending_arr"].iloc[:-1].to_numpy())
        flows = (frame["starting_arr"] + frame["new_arr"] + frame["expansion_arr"]
                 - frame["contraction_arr"] - frame["churned_arr"])
        assert np.allclose(flows, frame["ending_arr"])
    august = bridge[(bridge["segment"] == "SMB") & (bridge["period"] == "2026-08")].iloc[0]
    # B renews lower on 1 Aug, A buys the add-on on 1 Aug; C1 still runs to 31 Aug.
    assert (august["contraction_arr"], august["expansion_arr"], august["churned_arr"]) == (30, 110, 0)


def test_account_arr_sums_active_subscriptions():
    subs = prepare_subscriptions(six_accounts())
    arr = account_arr(subs, ["2026-08-15", "2026-09-30", "2026-10-01"])
    assert arr.loc["A"].tolist() == [410, 410, 0]  # A1 and A2 end on 30 Sep (last day of service)
    assert arr.loc["E"].tolist() == [100, 100, 100]  # open-ended


def test_bad_subscriptions_name_column_and_rows():
    frame = six_accounts()
    frame.loc[3, "end_date"] = "2025-01-01"  # before its start
    with pytest.raises(RevenueInputError, match=r"subscriptions, column 'end_date', rows 5 \(1 in all\): end before start"):
        arr_bridge(frame, as_of="2026-09-30")
    frame = six_accounts()
    frame.loc[[1, 2], "arr"] = -5
    with pytest.raises(RevenueInputError, match=r"column 'arr', rows 3, 4 \(2 in all\)"):
        arr_bridge(frame, as_of="2026-09-30")
