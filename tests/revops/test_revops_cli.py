"""The command line: bad input -> exit 2, a message naming file/column/rows, and no output."""
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from revops.cli import main

pytestmark = pytest.mark.mlflow


@pytest.fixture()
def data(tmp_path: Path, sample_data_dir: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(sample_data_dir, target, ignore=shutil.ignore_patterns("truth"))
    return target


def run_bad(data: Path, tmp_path: Path, capsys) -> str:
    out = tmp_path / "out"
    code = main(["plan", "--data", str(data), "--out", str(out), "--steps", "forecast", "--quiet"])
    assert code == 2
    assert not out.exists(), "a failed plan must leave no output folder"
    assert not list(tmp_path.glob(".out.partial-*")), "nor a temporary one"
    return capsys.readouterr().err


def test_missing_required_column(data, tmp_path, capsys):
    frame = pd.read_csv(data / "opportunities.csv").drop(columns=["close_date"])
    frame.to_csv(data / "opportunities.csv", index=False)
    err = run_bad(data, tmp_path, capsys)
    assert "opportunities.csv: 1 problem found" in err and "missing required column(s) 'close_date'" in err


def test_duplicate_ids(data, tmp_path, capsys):
    frame = pd.read_csv(data / "reps.csv", keep_default_na=False)
    frame.loc[3, "rep_id"] = frame.loc[2, "rep_id"]
    frame.to_csv(data / "reps.csv", index=False)
    err = run_bad(data, tmp_path, capsys)
    assert "reps.csv" in err and "'rep_id': 2 rows share a value that must be unique (rows 4, 5)" in err


def test_negative_amount_and_bad_potential_in_one_message(data, tmp_path, capsys):
    opps = pd.read_csv(data / "opportunities.csv", keep_default_na=False)
    opps.loc[9, "amount"] = -100
    opps.to_csv(data / "opportunities.csv", index=False)
    accounts = pd.read_csv(data / "accounts.csv", keep_default_na=False)
    accounts["potential"] = accounts["potential"].astype(object)
    accounts.loc[0, "potential"] = "n/a?"
    accounts.to_csv(data / "accounts.csv", index=False)
    err = run_bad(data, tmp_path, capsys)
    assert "column 'amount': 1 negative value(s) (row 11): found '-100" in err
    assert "accounts.csv" in err and "column 'potential': 1 value(s) are not numbers (row 2): found 'n/a?'" in err


def test_unparseable_dates(data, tmp_path, capsys):
    leads = pd.read_csv(data / "leads.csv", keep_default_na=False, dtype=str)
    leads.loc[[4, 7], "created_at"] = ["31/31/2026", "soon"]
    leads.to_csv(data / "leads.csv", index=False)
    err = run_bad(data, tmp_path, capsys)
    assert "leads.csv" in err and "'created_at': 2 date(s) cannot be read (rows 6, 9)" in err


def test_empty_file(data, tmp_path, capsys):
    (data / "targets.csv").write_text("")
    err = run_bad(data, tmp_path, capsys)
    assert "targets.csv: the file is empty" in err


def test_departed_owner_is_unassigned_not_an_error(data, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["plan", "--data", str(data), "--out", str(out), "--steps", "forecast", "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    accounts = pd.read_csv(data / "accounts.csv", keep_default_na=False)
    reps = set(pd.read_csv(data / "reps.csv")["rep_id"])
    gone = (accounts["owner_rep_id"] != "") & ~accounts["owner_rep_id"].isin(reps)
    assert gone.sum() > 0
    assert summary["unassigned_accounts"] == int(gone.sum() + (accounts["owner_rep_id"] == "").sum())
    assert any(f"{gone.sum()} account(s) are owned by" in note for note in summary["notes"])


def test_help_has_examples(capsys):
    for command in (["--help"], ["plan", "--help"], ["sample-data", "--help"]):
        with pytest.raises(SystemExit) as info:
            main(command)
        assert info.value.code == 0
        assert "example" in capsys.readouterr().out


def test_print_config_round_trips(tmp_path, capsys):
    assert main(["plan", "--config", "examples/sample/plan.toml", "--print-config"]) == 0
    text = capsys.readouterr().out
    (tmp_path / "plan.toml").write_text(text)
    assert main(["plan", "--config", str(tmp_path / "plan.toml"), "--print-config"]) == 0
    assert capsys.readouterr().out == text


def test_unknown_config_key_is_named(tmp_path, capsys):
    (tmp_path / "plan.toml").write_text("[territory]\nbalance_tolerence = 0.2\n")
    assert main(["plan", "--config", str(tmp_path / "plan.toml"), "--print-config"]) == 2
    err = capsys.readouterr().err
    assert "territory.balance_tolerence: is not a known setting (did you mean balance_tolerance?)" in err
    assert "allowed: balance_tolerance, objective" in err
