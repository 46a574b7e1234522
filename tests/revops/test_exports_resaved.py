"""Done when: the same sample CRM re-saved the ways people export it plans byte-identically to
the original (every output file, except the MLflow run ids and the input files' names and
fingerprints). A variant may be refused first (exit 2, naming ``decimal`` or ``date_order``);
with that setting it must then plan identically."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import resave
from revops.inputs import load_inputs

pytestmark = pytest.mark.slow

STEPS = "scoring,forecast,funnel,territory"
# One model candidate: the test is about reading the files, not about choosing models.
PLAN_FILE = "[scoring]\ncandidates = [\"logistic_regression\"]\n"
IO_PENDING = ("needs revops/io.py to read {what} (the files part of issue 14, another agent's "
              "work); the mark lifts itself when it does")


def _reader_types_numbers() -> bool:
    """True while revops.io.read_table types CSV cells as numbers before the parsing layer sees
    their text ("6.000" in a European file becomes 6.0)."""
    import tempfile

    from revops.io import read_table

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "probe.csv"
        path.write_text("a;b\n6.000;1,5\n")
        return read_table(path)["a"].dtype != object


def _io_has(feature: str) -> bool:
    import revops.io as io

    if feature == "xlsx":
        return ".xlsx" in getattr(io, "TABLE_SUFFIXES", ())
    return "utf-16" in dict((enc, mark) for mark, enc in getattr(io, "BYTE_ORDER_MARKS", ()))


def run_plan(data: Path, out: Path, *flags: str, steps: str = STEPS) -> subprocess.CompletedProcess:
    """``revops plan`` in its own process and MLflow store; paths relative to the data's parent,
    so every variant's notes name ``crm/<table>``."""
    store = out.parent / f"{out.name}-mlflow"
    store.mkdir(parents=True, exist_ok=True)
    config = out.parent / "plan.toml"
    config.write_text(PLAN_FILE)
    # One hash seed for every run: the test compares readings, and a plan's output must not hang
    # on the order of a set of strings (if it does, that is a bug of its own, not of reading).
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{store / 'mlflow.db'}",
           "MLFLOW_ARTIFACT_ROOT": str(store / "artifacts"), "PYTHONHASHSEED": "0"}
    return subprocess.run(
        [sys.executable, "-m", "revops", "plan", "--data", data.name, "--out", str(out), "--config",
         str(config), "--steps", steps, "--quiet", *flags],
        cwd=data.parent, env=env, capture_output=True, text=True, timeout=1200)


def outputs(out: Path) -> dict[str, bytes]:
    """Every output file, with what may differ between inputs made equal: the MLflow run ids, the
    input files' names and fingerprints, the reading settings written back in plan.toml."""
    files = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        name = str(path.relative_to(out))
        data = path.read_bytes()
        if name == "summary.json":
            doc = json.loads(data)
            doc.pop("mlflow"), doc.pop("mlflow_run_id")
            for entry in doc["inputs"].values():
                entry.pop("sha256"), entry.pop("file")
            data = json.dumps(doc, sort_keys=True, indent=1).encode()
        if name == "plan.toml":
            data = re.sub(rb'(?m)^(decimal|date_order|encoding) = .*\n', b"", data)
        if path.suffix in (".json", ".html", ".toml", ".csv"):
            data = re.sub(rb"\b(%s)\.(csv|txt|xlsx)\b" % "|".join(resave.TABLES).encode(), rb"\1", data)
        if name == "report.html":
            data = re.sub(rb"(<td[^>]*>)[0-9a-f]{12}(</td>)", rb"\1sha256\2", data)
        files[name] = data
    return files


def assert_same_plan(expected: dict[str, bytes], out: Path) -> None:
    got = outputs(out)
    assert sorted(got) == sorted(expected)
    differ = [name for name in expected if got[name] != expected[name]]
    assert differ == []


@pytest.fixture(scope="module")
def crm(tmp_path_factory) -> Path:
    from revops.sample_data import generate

    root = tmp_path_factory.mktemp("original")
    generate(root / "source", seed=11, n_leads=2000, n_accounts=100, n_reps=12)
    data = root / "crm"
    data.mkdir()
    for table in resave.TABLES:
        shutil.copy(root / "source" / f"{table}.csv", data / f"{table}.csv")
    return data


@pytest.fixture(scope="module")
def original(crm: Path) -> dict[str, bytes]:
    out = crm.parent / "plan"
    done = run_plan(crm, out)
    assert done.returncode == 0, done.stderr
    return outputs(out)


def _variant(tmp_path: Path, crm: Path, save) -> Path:
    data = tmp_path / "crm"
    save(crm, data)
    return data


def _plan_variant(tmp_path: Path, data: Path, original: dict[str, bytes], settings: tuple[str, ...]) -> None:
    done = run_plan(data, tmp_path / "plan")
    if done.returncode == 2 and re.search(r"\b(decimal|date_order)\b", done.stderr):
        done = run_plan(data, tmp_path / "plan", *settings)
    assert done.returncode == 0, done.stderr
    assert_same_plan(original, tmp_path / "plan")


def test_european_excel_csv(tmp_path, crm, original):
    data = _variant(tmp_path, crm, resave.european)
    assert " €;" in (data / "opportunities.csv").read_bytes().decode("cp1252")
    _plan_variant(tmp_path, data, original, ("--decimal", ",", "--date-order", "DMY"))


def test_uk_export(tmp_path, crm, original):
    data = _variant(tmp_path, crm, resave.uk)
    _plan_variant(tmp_path, data, original, ("--decimal", ".", "--date-order", "DMY"))


@pytest.mark.xfail(not _io_has("utf-16"), strict=True,
                   reason=IO_PENDING.format(what="UTF-16 text (Excel's Unicode Text)"))
def test_excel_unicode_text(tmp_path, crm, original):
    data = _variant(tmp_path, crm, resave.unicode_text)
    _plan_variant(tmp_path, data, original, ("--date-order", "MDY"))


@pytest.mark.xfail(not _io_has("xlsx"), strict=True, reason=IO_PENDING.format(what=".xlsx workbooks"))
def test_one_workbook_per_table(tmp_path, crm, original):
    data = _variant(tmp_path, crm, resave.workbooks)
    _plan_variant(tmp_path, data, original, ())


@pytest.mark.xfail(_reader_types_numbers(), strict=True,
                   reason="revops/io.py types CSV cells as numbers before the parsing layer sees them: "
                          "'6.000' (six thousand) arrives as 6.0; read_table must hand text cells over as "
                          "text (another agent's file). Until then such columns are refused, see below")
def test_european_crm_export_with_grouped_whole_numbers(tmp_path, crm, original):
    data = tmp_path / "crm"
    resave.european(crm, data, group_whole=True)
    _plan_variant(tmp_path, data, original, ("--decimal", ",", "--date-order", "DMY"))


def test_grouped_whole_numbers_are_read_right_or_refused_never_misread(tmp_path, crm):
    from revops.inputs import InputsError

    expected = load_inputs(crm)
    data = resave.european(crm, tmp_path / "crm", group_whole=True)
    try:
        got = load_inputs(data)
    except InputsError as exc:
        assert "column 'employees'" in str(exc) and "separates thousands" in str(exc)
        return
    pd.testing.assert_frame_equal(got.tables["leads"], expected.tables["leads"])


def test_a_european_folder_reads_as_the_original(tmp_path, crm):
    """The same check without the plan: every validated table equals the original's."""
    expected = load_inputs(crm)
    for save in (resave.european, resave.uk):
        got = load_inputs(save(crm, tmp_path / save.__name__))
        for table, frame in expected.tables.items():
            pd.testing.assert_frame_equal(got.tables[table], frame)


def _whole_euros_alone(crm: Path, root: Path) -> tuple[Path, Path]:
    """Opportunities alone, every amount under a million: whole euros (``7.950 €``) that nothing
    in the folder tells apart from 7.95 (the original gets the same rows)."""
    original = root / "original" / "crm"
    original.mkdir(parents=True)
    frame = pd.read_csv(crm / "opportunities.csv", dtype=str, keep_default_na=False)
    frame = frame[pd.to_numeric(frame["amount"].replace("", None)) < 1e6]
    frame.to_csv(original / "opportunities.csv", index=False, lineterminator="\n")
    european = resave.european(original, root / "european" / "crm")
    return original, european


def test_a_refused_export_names_the_setting(tmp_path, crm):
    _, european = _whole_euros_alone(crm, tmp_path)
    done = run_plan(european, tmp_path / "european" / "plan", steps="forecast")
    assert done.returncode == 2
    assert "column 'amount'" in done.stderr and "read differently with a decimal comma" in done.stderr
    assert 'set decimal = "," or "." under [data]' in done.stderr and "--decimal" in done.stderr


def test_a_refused_export_plans_identically_with_the_setting(tmp_path, crm):
    original, european = _whole_euros_alone(crm, tmp_path)
    expected = run_plan(original, tmp_path / "original" / "plan", steps="forecast")
    assert expected.returncode == 0, expected.stderr
    done = run_plan(european, tmp_path / "european" / "plan", "--decimal", ",", steps="forecast")
    assert done.returncode == 0, done.stderr
    assert_same_plan(outputs(tmp_path / "original" / "plan"), tmp_path / "european" / "plan")
