"""``revops compensation``: the pay plan of the plan file applied to an attainment file."""
import json

import pandas as pd
import pytest

from revops.cli import main

PLAN = """
[compensation]
variable_pay = 10000
rate_thresholds = [1.0]
rates = [1.0, 2.0]
cap = 2.0
"""


def test_payouts_csv_pays_exactly(tmp_path, capsys):
    (tmp_path / "plan.toml").write_text(PLAN, encoding="utf-8")
    pd.DataFrame({"rep_id": ["007", "b", "c"], "quota": [100_000, 100_000, 100_000],
                  "bookings": [50_000, 120_000, 300_000]}).to_csv(tmp_path / "att.csv", index=False)
    code = main(["compensation", "--config", str(tmp_path / "plan.toml"), "--attainment",
                 str(tmp_path / "att.csv"), "--out", str(tmp_path / "out"), "--json"])
    assert code == 0
    payouts = pd.read_csv(tmp_path / "out" / "payouts.csv", dtype={"rep_id": str})
    assert payouts[["rep_id", "attainment", "payout"]].values.tolist() == [
        ["007", 0.5, 5_000.0], ["b", 1.2, 14_000.0], ["c", 3.0, 20_000.0]]
    answer = json.loads(capsys.readouterr().out)
    assert answer["summary"]["payout_total"] == pytest.approx(39_000)


def test_plan_without_pay_and_bad_table_are_user_errors(tmp_path, capsys):
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    (tmp_path / "plan.toml").write_text(PLAN, encoding="utf-8")
    pd.DataFrame({"rep_id": ["a"], "bookings": [1]}).to_csv(tmp_path / "att.csv", index=False)
    args = ["--attainment", str(tmp_path / "att.csv"), "--out", str(tmp_path / "out")]
    assert main(["compensation", "--config", str(tmp_path / "empty.toml"), *args]) == 2
    assert "variable_pay" in capsys.readouterr().err
    assert main(["compensation", "--config", str(tmp_path / "plan.toml"), *args]) == 2
    assert "missing column(s) quota" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
