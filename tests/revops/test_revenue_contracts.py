"""The optional tables and columns of issue 18: subscriptions, spend, and type on targets (the
funnel works back only new business) and opportunities."""
from __future__ import annotations

import pandas as pd
import pytest

from revops.contracts import DataContractError, validate


def test_subscriptions_contract_reads_open_ends_and_names_bad_rows():
    frame = pd.DataFrame({"subscription_id": ["S1", "S2"], "account_id": ["A", "B"], "segment": ["SMB", "SMB"],
                          "start_date": ["2026-01-01", "2026-02-01"], "end_date": ["2026-12-31", ""],
                          "arr": ["1200.50", "900"]})
    out = validate("subscriptions", frame)
    assert out["end_date"].isna().tolist() == [False, True] and out["arr"].tolist() == [1200.5, 900]
    bad = frame.assign(start_date=["2026-01-01", "soon"])
    with pytest.raises(DataContractError, match=r"start_date.*row 3"):
        validate("subscriptions", bad, source="subscriptions.csv")


def test_spend_contract_and_its_key():
    frame = pd.DataFrame({"period": ["2026Q1", "2026Q1"], "segment": ["SMB", "SMB"],
                          "channel": ["Events", "Paid Search"], "amount": [100, 200]})
    assert validate("spend", frame)["amount"].sum() == 300
    with pytest.raises(DataContractError, match="rows share a value that must be unique"):
        validate("spend", frame.assign(channel="Events"))


def test_targets_may_carry_type_once_per_segment_and_period():
    typed = pd.DataFrame({"segment": ["SMB", "SMB", "SMB"], "period": ["2027Q1"] * 3,
                          "target": [100, 400, 50], "type": ["new", "renewal", "expansion"]})
    assert len(validate("targets", typed)) == 3
    with pytest.raises(DataContractError, match="rows share a value that must be unique"):
        validate("targets", typed.assign(type=["new", "new", "expansion"]))
    untyped = typed.drop(columns="type")  # without type, segment + period stays the key
    with pytest.raises(DataContractError, match="rows share a value that must be unique"):
        validate("targets", untyped)


def test_funnel_works_back_only_new_business(sample_data_dir):
    from forecasting.funnel import compute_funnel

    opportunities = validate("opportunities", pd.read_csv(sample_data_dir / "opportunities.csv"))
    targets = validate("targets", pd.read_csv(sample_data_dir / "targets.csv"))
    typed = pd.concat([targets.assign(type="new"), targets.assign(type="renewal", target=targets["target"] * 3),
                       targets.assign(type="expansion", target=1e6)], ignore_index=True)
    plain = compute_funnel(opportunities, targets, random_state=0)
    split = compute_funnel(opportunities, typed, random_state=0)
    pd.testing.assert_frame_equal(plain.totals, split.totals)
