"""`revops review` on the six hand-made leads (exact files), bad input (exit 2, file/row/column
named), and the sample (compliant leads convert better, intervals apart)."""
import json

import pandas as pd
import pytest
from six_leads import ACTIVITIES, AS_OF, BREACHES, write

from revops.cli import main


def _review(data, out, *extra):
    return main(["review", "--data", str(data), "--out", str(out), "--as-of", AS_OF, "--no-mlflow",
                 "--quiet", *extra])


def test_six_leads_files(tmp_path):
    data = write(tmp_path / "data")
    assert _review(data, tmp_path / "out") == 0
    folder = tmp_path / "out" / "review"
    summary = pd.read_csv(folder / "sla_summary.csv")
    row = summary[(summary["segment"] == "SMB") & (summary["month"] == "2026-12")].iloc[0]
    assert (row["leads"], row["first_touch_same_day"], row["cadence_met"]) == (6, 3, 2)
    assert (row["cadence_window_open"], row["compliant"], row["non_compliant"]) == (2, 1, 3)
    breaches = pd.read_csv(folder / "sla_breaches.csv")
    assert dict(zip(breaches["lead_id"], breaches["breach"])) == BREACHES
    assert breaches.columns[:6].tolist() == ["lead_id", "segment", "owner_rep_id", "created_at", "age_days", "breach"]
    feedback = pd.read_csv(folder / "lead_feedback.csv")
    assert feedback.loc[feedback["by"] == "rejection_reason", "value"].tolist() == ["no budget"]
    assert (folder / "sla_compliance.png").exists() and not (folder / "plan_vs_actual.csv").exists()


def test_stricter_sla_from_flags(tmp_path, capsys):
    data = write(tmp_path / "data")
    assert main(["review", "--data", str(data), "--out", str(tmp_path / "out"), "--as-of", AS_OF,
                 "--no-mlflow", "--json", "--min-calls", "6", "--first-touch", "4"]) == 0
    head = json.loads(capsys.readouterr().out)["headline"]
    assert head["cadence_met_share"] == 0 and head["first_touch_in_sla_share"] == pytest.approx(5 / 6)


@pytest.mark.parametrize("column, value, expected", [
    ("channel", "fax", "column 'channel': unknown channel(s) 'fax' (row 4)"),
    ("lead_id", "L99", "column 'lead_id': activity(ies) of lead(s) not in the leads table: 'L99' (row 4)"),
    ("at", "31/31/2026", "column 'at': 1 date(s) cannot be read (row 4)"),
])
def test_bad_activities_exit_2_naming_file_row_and_column(tmp_path, capsys, column, value, expected):
    data = write(tmp_path / "data")
    acts = ACTIVITIES.copy()
    acts.loc[2, column] = value
    acts.to_csv(data / "activities.csv", index=False)
    assert _review(data, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert str(data / "activities.csv") in err and expected in err
    assert not (tmp_path / "out").exists()


def test_bad_sla_setting_exit_2(tmp_path, capsys):
    data = write(tmp_path / "data")
    assert _review(data, tmp_path / "out", "--timezone", "Mars/Olympus") == 2
    assert "--timezone" in capsys.readouterr().err


def test_sample_compliant_leads_convert_better(sample_data_dir):
    from forecasting.review import review
    from revops.inputs import load_inputs

    bundle = load_inputs(sample_data_dir, tables=("leads", "activities"))
    result = review(bundle.get("leads"), bundle.get("activities"), as_of="2026-12-31")
    row = result.sla_summary.query("segment == 'ALL' and month == 'ALL'").iloc[0]
    # The generator's truth: five calls and two emails in the first week raise P(SQL).
    assert row["compliant_labelled"] > 500
    assert row["sql_rate_compliant_low"] > row["sql_rate_non_compliant_high"]
    assert row["cadence_window_open"] > 0  # the last week's leads are counted apart
    assert len(result.sla_breaches) > 0 and result.lead_feedback["rejected"].iloc[0] > 0
