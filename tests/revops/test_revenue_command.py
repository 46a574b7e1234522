"""`revops revenue` and the plan's revenue step: the six-account book through the command, bad
input (exit 2 naming file, row and column), the Maven export without subscriptions (skipped with
a note), and the sample plan registering its renewal model as 'renewal' only."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from revops.cli import main

ROOT = Path(__file__).resolve().parents[2]
MAVEN = ROOT.parent / "shared" / "data" / "crm-sales-opportunities"
# The six-account SMB book of tests/forecasting/revenue/test_arr_bridge.py, as a CRM export.
SIX_ACCOUNTS = """subscription_id,account_id,segment,start_date,end_date,arr,product
C0,C,SMB,2024-09-01,2025-08-31,150,Core
A1,A,SMB,2025-10-01,2026-09-30,300,Core
A2,A,SMB,2026-08-01,2026-09-30,110,Analytics
B1,B,SMB,2025-08-01,2026-07-31,200,Core
B2,B,SMB,2026-08-01,2027-07-31,170,Core
C1,C,SMB,2025-09-01,2026-08-31,150,Core
D1,D,SMB,2025-07-15,2026-07-14,120,Core
D2,D,SMB,2026-07-15,2027-07-14,120,Core
E1,E,SMB,2024-01-01,,100,Core
F1,F,SMB,2026-09-01,2027-08-31,80,Core
"""


def _run(tmp_path: Path, text: str, *extra: str) -> tuple[int, Path]:
    path = tmp_path / "subscriptions.csv"
    path.write_text(text)
    out = tmp_path / "out"
    code = main(["revenue", "--subscriptions", str(path), "--out", str(out), "--as-of", "2026-09-30",
                 "--no-mlflow", "--quiet", *extra])
    return code, out


def test_six_account_quarter_through_the_command(tmp_path):
    code, out = _run(tmp_path, SIX_ACCOUNTS)
    assert code == 0
    bridge = pd.read_csv(out / "arr_bridge.csv")
    row = bridge[(bridge["segment"] == "SMB") & (bridge["period"] == "2026Q3")].iloc[0]
    assert row[["starting_arr", "new_arr", "expansion_arr", "contraction_arr", "churned_arr",
                "ending_arr"]].tolist() == [870, 80, 110, 30, 150, 880]
    assert row["grr"] == pytest.approx(690 / 870, abs=1e-6) and row["nrr"] == pytest.approx(800 / 870, abs=1e-6)
    assert row["logo_churn_rate"] == pytest.approx(0.2) and (row["accounts_start"], row["accounts_churned"]) == (5, 1)
    renewals = pd.read_csv(out / "renewals.csv")
    assert sorted(renewals["subscription_id"]) == ["A1", "A2"]  # due on 1 Oct, in 2026Q4
    for name in ("unit_economics.csv", "renewal_forecast.csv", "renewal_model.json", "arr_bridge.png",
                 "retention.png", "renewal_risk.png"):
        assert (out / name).is_file(), name
    model = json.loads((out / "renewal_model.json").read_text())
    assert model["source"] == "segment renewal rate"  # three decided renewals: too few for a model


def test_monthly_bridge_with_freq_m(tmp_path):
    code, out = _run(tmp_path, SIX_ACCOUNTS, "--freq", "M")
    assert code == 0
    bridge = pd.read_csv(out / "arr_bridge.csv")
    assert set(bridge.loc[bridge["segment"] == "SMB", "period"]) >= {"2026-07", "2026-08", "2026-09"}


def test_bad_subscriptions_exit_2_naming_file_row_and_column(tmp_path, capsys):
    code, _ = _run(tmp_path, SIX_ACCOUNTS.replace("2026-08-01,2027-07-31,170", "2026-08-01,2027-07-31,lots"))
    assert code == 2
    err = capsys.readouterr().err
    assert "subscriptions.csv" in err and "'arr'" in err and "row 6" in err and "lots" in err
    code, _ = _run(tmp_path, SIX_ACCOUNTS.replace("B2,B,SMB,2026-08-01,2027-07-31", "B2,B,SMB,2026-08-01,2025-07-31"))
    assert code == 2
    err = capsys.readouterr().err
    assert "subscriptions.csv (subscriptions), column 'end_date', rows 6 (1 in all): end before start" in err
    code, _ = _run(tmp_path, SIX_ACCOUNTS.replace("arr,product", "amount,product"))
    assert code == 2
    assert "missing required column(s) 'arr'" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.mlflow
@pytest.mark.skipif(not MAVEN.is_dir(), reason="the public Maven CRM export lives in ../shared/data (CI has it)")
def test_maven_export_without_subscriptions_skips_with_a_note(tmp_path):
    out = tmp_path / "maven"
    code = main(["plan", "--data", str(MAVEN), "--config", str(ROOT / "examples" / "maven-crm" / "plan.toml"),
                 "--steps", "revenue", "--out", str(out), "--quiet"])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"]["revenue"]["status"] == "skipped"
    assert "step 'revenue' skipped: no subscriptions table in the data folder" in summary["notes"]


@pytest.mark.slow
@pytest.mark.mlflow
def test_plan_step_registers_the_renewal_model_apart(sample_data_dir, tmp_path):
    from mlflow.tracking import MlflowClient

    config = tmp_path / "plan.toml"
    config.write_text('steps = ["revenue"]\n[revenue]\ncandidates = ["logistic_regression"]\n')
    out = tmp_path / "plan"
    assert main(["plan", "--data", str(sample_data_dir), "--out", str(out), "--config", str(config), "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"]["revenue"]["status"] == "ok"
    assert summary["steps"]["revenue"]["plan_period"] == "2027Q1"
    client = MlflowClient()
    assert [m.name for m in client.search_registered_models()] == ["renewal"]  # lead-scoring untouched
    assert str(client.get_model_version_by_alias("renewal", "champion").version) == "1"
    renewals = pd.read_csv(out / "revenue" / "renewals.csv")
    assert renewals["p_renew"].between(0, 1).all() and (renewals["probability_source"] == "model").all()
    forecast = pd.read_csv(out / "revenue" / "renewal_forecast.csv").set_index("segment")
    assert (forecast["renewed_arr_p10"] <= forecast["renewed_arr_p50"]).all()
    assert (forecast["renewed_arr_p50"] <= forecast["renewed_arr_p90"]).all()
    assert "Recurring revenue" in (out / "report.html").read_text()
