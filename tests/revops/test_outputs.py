"""Output folders never destroy a user's files, and CSV outputs cannot run as formulas."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from revops.cli import main
from revops.outputs import MARKER, atomic_output_dir, check_output_dir, clean_leftovers, spreadsheet_safe, write_csv
from revops.errors import ConfigError


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A working directory holding a data folder (a small export) and a file of the user's."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "opportunities.csv").write_text("opportunity_id,account_id\n1,2\n", encoding="utf-8")
    (data / "truth").mkdir()
    (data / "truth" / "leads_truth.csv").write_text("lead_id,p\n1,0.5\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("my notes", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("out", ["data", ".", "..", "data/truth/..", "models"])
def test_plan_refuses_an_out_that_would_replace_inputs_or_the_working_directory(workdir, out, capsys):
    (workdir / "models").mkdir()
    (workdir / "models" / "mlflow.db").write_bytes(b"store")
    before = _tree(workdir)
    assert main(["plan", "--data", "data", "--out", out]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and ("is" in err or "contains" in err)
    assert _tree(workdir) == before


def test_plan_refuses_a_parent_of_the_data_folder(tmp_path, monkeypatch, capsys):
    data = tmp_path / "exports" / "q1"
    data.mkdir(parents=True)
    (data / "leads.csv").write_text("lead_id\n1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["plan", "--data", str(data), "--out", str(tmp_path / "exports")]) == 2
    assert "contains the input" in capsys.readouterr().err
    assert (data / "leads.csv").read_text(encoding="utf-8") == "lead_id\n1\n"


def test_sample_data_refuses_the_working_directory(workdir, capsys):
    before = _tree(workdir)
    assert main(["sample-data", "--out", ".", "--leads", "200", "--accounts", "30", "--reps", "9"]) == 2
    assert "working directory" in capsys.readouterr().err
    assert _tree(workdir) == before


def test_an_existing_folder_of_the_user_is_refused_unless_forced(workdir, capsys):
    mine = workdir / "reports"
    mine.mkdir()
    (mine / "q4.xlsx").write_bytes(b"precious")
    with pytest.raises(ConfigError, match="--force"):
        check_output_dir(mine)
    assert main(["sample-data", "--out", "reports", "--leads", "200", "--accounts", "30", "--reps", "9"]) == 2
    assert (mine / "q4.xlsx").read_bytes() == b"precious"
    assert main(["sample-data", "--out", "reports", "--force", "--quiet",
                 "--leads", "200", "--accounts", "30", "--reps", "9"]) == 0
    assert (mine / MARKER).exists() and not (mine / "q4.xlsx").exists()


def test_a_file_in_the_way_is_an_error_not_replaced(workdir):
    with pytest.raises(ConfigError, match="file of that name is in the way"):
        check_output_dir("notes.txt")
    assert (workdir / "notes.txt").read_text(encoding="utf-8") == "my notes"


def test_an_earlier_output_is_replaced_whole_and_an_empty_folder_is_fine(workdir):
    (workdir / "empty").mkdir()
    check_output_dir("empty")
    with atomic_output_dir("out") as tmp:
        (tmp / "a.csv").write_text("1", encoding="utf-8")
    with atomic_output_dir("out") as tmp:
        (tmp / "b.csv").write_text("2", encoding="utf-8")
    assert sorted(p.name for p in (workdir / "out").iterdir()) == [MARKER, "b.csv"]


def test_a_failing_job_leaves_the_earlier_output(workdir):
    with atomic_output_dir("out") as tmp:
        (tmp / "a.csv").write_text("1", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_output_dir("out") as tmp:
            (tmp / "half.csv").write_text("2", encoding="utf-8")
            raise RuntimeError("boom")
    assert sorted(p.name for p in (workdir / "out").iterdir()) == [MARKER, "a.csv"]
    assert [p for p in workdir.iterdir() if ".partial-" in p.name] == []


def test_leftovers_of_a_killed_run_are_removed_by_the_next(workdir):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = workdir / f".out.partial-{dead}-abc123"
    stale.mkdir()
    (stale / "half.csv").write_text("x", encoding="utf-8")
    live = workdir / f".out.partial-{os.getpid()}-zzz"
    live.mkdir()
    removed = clean_leftovers(workdir)
    assert removed == [stale] and not stale.exists() and live.exists()


def test_text_cells_that_spreadsheets_run_are_neutralised_numbers_are_not(tmp_path):
    frame = pd.DataFrame({"segment": ['=HYPERLINK("x")', "+1", "-cmd", "@SUM(A1)", "\tx", "\rx", "Mid-Market"],
                          "amount": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    safe = spreadsheet_safe(frame)
    assert safe["segment"].tolist() == ["'=HYPERLINK(\"x\")", "'+1", "'-cmd", "'@SUM(A1)", "'\tx", "'\rx",
                                        "Mid-Market"]
    assert safe["amount"].tolist() == frame["amount"].tolist()
    assert frame["segment"].iloc[0] == '=HYPERLINK("x")'  # the caller's frame is untouched
    path = write_csv(tmp_path / "x.csv", frame.assign(**{"=col": 1}))
    text = path.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "'=col" in text and "\n=" not in text and ",=" not in text
