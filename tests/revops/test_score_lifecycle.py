"""A safe model lifecycle, through the command line: experiments never move the champion by
accident, any binary outcome gets its own registered model, every command says which store it
used, and the registered model loads in a fresh virtual environment."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from revops.cli import main
from scoring.synthetic import make_leads

pytestmark = pytest.mark.mlflow

FAST = ["--candidates", "logistic_regression", "--threads", "1"]


def leak_column(labels: pd.Series, seed: int = 0) -> np.ndarray:
    """A rep's disposition, filled in after the outcome: the label, 1% of it flipped."""
    rng = np.random.default_rng(seed)
    sql = labels.to_numpy() == "1"
    disposition = np.where(sql, "Qualified", "Disqualified").astype(object)
    flip = rng.random(len(sql)) < 0.01
    disposition[flip] = np.where(sql[flip], "Disqualified", "Qualified")
    disposition[labels.to_numpy() == ""] = ""
    return disposition


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Path]:
    """The usual lead export, the same with a leaky column, another CRM's export (3 columns more,
    2 fewer) and a Salesforce-style three-valued Status."""
    folder = tmp_path_factory.mktemp("exports")
    leads, _ = make_leads(3000, seed=5)
    rng = np.random.default_rng(1)
    other = leads.drop(columns=["country", "employees"]).assign(
        annual_revenue=rng.lognormal(10, 1, len(leads)).round(),
        job_title=rng.choice(["VP", "Manager", "Director", "Analyst"], len(leads)),
        newsletter=rng.choice(["yes", "no"], len(leads)))
    status = leads.drop(columns=["is_sql"]).assign(Status=np.select(
        [leads["is_sql"] == "1", leads["is_sql"] == "0"], ["Qualified", "Unqualified"], "Working"))
    frames = {"leads": leads, "leaky": leads.assign(disposition=leak_column(leads["is_sql"])),
              "other": other, "status": status}
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return {name: folder / f"{name}.csv" for name in frames}


def telco_churn(n: int, seed: int) -> pd.DataFrame:
    """A small export shaped like IBM's public Telco customer-churn sample (customerID, tenure,
    Contract, MonthlyCharges, TotalCharges with blanks for new customers, Churn Yes/No)."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 73, n)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.55, 0.21, 0.24])
    internet = rng.choice(["DSL", "Fiber optic", "No"], n, p=[0.34, 0.44, 0.22])
    payment = rng.choice(["Electronic check", "Mailed check", "Bank transfer (automatic)",
                          "Credit card (automatic)"], n)
    monthly = np.round(np.where(internet == "Fiber optic", 80, np.where(internet == "DSL", 55, 22))
                       + rng.normal(0, 12, n), 2).clip(18.25, 118.75)
    total = np.where(tenure == 0, " ", np.round(monthly * tenure, 2).astype(str))
    logit = (-1.2 + 1.5 * (contract == "Month-to-month") - 1.0 * (contract == "Two year")
             + 0.7 * (internet == "Fiber optic") + 0.5 * (payment == "Electronic check")
             - 0.035 * tenure)
    churn = rng.random(n) < 1 / (1 + np.exp(-logit))
    ids = [f"{rng.integers(1000, 9999)}-{''.join(rng.choice(list('ABCDEFGHIJKLMNOPQRSTUVWXYZ'), 5))}"
           for _ in range(n)]
    return pd.DataFrame({
        "customerID": ids, "gender": rng.choice(["Female", "Male"], n),
        "SeniorCitizen": (rng.random(n) < 0.16).astype(int), "Partner": rng.choice(["Yes", "No"], n),
        "tenure": tenure, "PhoneService": rng.choice(["Yes", "No"], n, p=[0.9, 0.1]),
        "InternetService": internet, "Contract": contract,
        "PaperlessBilling": rng.choice(["Yes", "No"], n), "PaymentMethod": payment,
        "MonthlyCharges": monthly, "TotalCharges": total, "Churn": np.where(churn, "Yes", "No"),
    }).drop_duplicates("customerID")


def _train(capsys, leads: Path, out: Path, *extra: str) -> tuple[dict, str]:
    capsys.readouterr()
    assert main(["score", "train", "--leads", str(leads), "--out", str(out), *FAST, "--json", *extra]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


def _client():
    from mlflow.tracking import MlflowClient

    return MlflowClient()


def _champion(name: str = "lead-scoring") -> str | None:
    from scoring import registry

    return registry.alias_version("champion", model_name=name)


def _versions(name: str = "lead-scoring") -> list[str]:
    from scoring import registry

    return registry._versions(_client(), name)


def test_experiments_leave_the_champion_where_it_was(exports, tmp_path, capsys):
    first, err = _train(capsys, exports["leads"], tmp_path / "first")
    assert first["registry"]["status"] == "champion" and first["registry"]["reason"] == "no champion yet"
    assert "MLflow store: sqlite:///" in err and "(created now; from MLFLOW_TRACKING_URI)" in err
    assert _champion() == "1"

    # A leaky column: challenger, with the reason everywhere, and how to drop it.
    leaky, err = _train(capsys, exports["leaky"], tmp_path / "leaky")
    reg = leaky["registry"]
    assert reg["version"] == "2" and reg["status"] == "challenger" and not reg["promoted"]
    assert reg["reason"].startswith("likely leak: disposition AUC 0.9")
    assert reg["blocked_by"] == ["likely leak", "schema differs"]
    assert "schema differs: +1 / -0 columns (new: disposition)" in reg["reason"]
    assert ('a likely leak keeps this model challenger; to drop it: --exclude disposition (plan file: '
            '[scoring] exclude = ["disposition"])') in err
    metrics = json.loads((tmp_path / "leaky" / "metrics.json").read_text())
    assert metrics["registry"]["reason"] == reg["reason"] and metrics["registry"]["version"] == "2"
    tags = _client().get_model_version("lead-scoring", "2").tags
    assert tags["decision"] == "challenger" and tags["champion_decision"] == reg["reason"]
    assert tags["blocked_by"] == "likely leak,schema differs" and tags["leak_columns"] == "disposition"
    assert _champion() == "1"

    # Another CRM's export: a model that needs columns the router does not send stays challenger.
    other, _ = _train(capsys, exports["other"], tmp_path / "other")
    reg = other["registry"]
    assert reg["status"] == "challenger" and reg["blocked_by"] == ["schema differs"]
    assert reg["reason"] == ("schema differs: +3 / -2 columns (new: annual_revenue, job_title, newsletter; "
                             "gone: country, employees)")
    assert _client().get_model_version("lead-scoring", "3").tags["schema_removed"] == "country,employees"
    assert _champion() == "1"

    # A dry run: every output, the decision it would get, nothing in the registry.
    dry, _ = _train(capsys, exports["leads"], tmp_path / "dry", "--no-register", "--exclude", "employees")
    reg = dry["registry"]
    assert reg["registered"] is False and reg["version"] is None and reg["status"] == "not registered"
    assert reg["would_be"] in ("champion", "challenger") and reg["schema"]["removed"] == ["employees"]
    assert reg["reason"].startswith("holdout log loss ") and "vs champion v1" in reg["reason"]
    assert json.loads((tmp_path / "dry" / "metrics.json").read_text())["registry"]["registered"] is False
    assert (tmp_path / "dry" / "lead_scores_holdout.csv").is_file()
    assert _versions() == ["1", "2", "3"]

    # Another model name: its own registry entry and champion.
    renewal, err = _train(capsys, exports["leads"], tmp_path / "renewal", "--model-name", "renewal")
    assert renewal["registry"]["model_name"] == "renewal" and renewal["registry"]["status"] == "champion"
    assert _versions("renewal") == ["1"] and _versions() == ["1", "2", "3"]
    assert _champion() == "1" and _champion("renewal") == "1"

    # The router's leads still score with the champion.
    capsys.readouterr()
    assert main(["score", "predict", "--leads", str(exports["leads"]), "--out", str(tmp_path / "s.csv"), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["version"] == "1"
    assert "(existing; from MLFLOW_TRACKING_URI)" in captured.err

    # A person's decision, per model name.
    assert main(["score", "promote", "2"]) == 0 and _champion() == "2"
    assert capsys.readouterr().out == "lead-scoring champion: v2 (was v1)\n"
    assert main(["score", "rollback", "--json"]) == 0 and _champion() == "1"
    assert json.loads(capsys.readouterr().out) == {"champion": "1", "model_name": "lead-scoring", "rolled_back": "2"}
    assert main(["score", "rollback", "--model-name", "renewal"]) == 2
    assert "champion v1 of 'renewal' replaced no earlier champion" in capsys.readouterr().err
    assert main(["score", "promote", "1", "--model-name", "no/such"]) == 2
    assert "--model-name 'no/such': a registered model name is" in capsys.readouterr().err


def test_churn_model_registered_as_renewal_predicts_for_new_customers(tmp_path, capsys):
    history = telco_churn(1200, seed=3)
    history.to_csv(tmp_path / "telco_churn.csv", index=False)
    new = telco_churn(200, seed=4).drop(columns=["Churn"])
    new.to_csv(tmp_path / "customers.csv", index=False)
    summary, err = _train(capsys, tmp_path / "telco_churn.csv", tmp_path / "churn", "--target", "Churn",
                          "--positive", "Yes", "--negative", "No", "--id", "customerID",
                          "--time-column", "none", "--model-name", "renewal")
    reg = summary["registry"]
    assert (reg["model_name"], reg["version"], reg["status"]) == ("renewal", "1", "champion")
    assert summary["metrics"]["holdout"] == "stratified" and summary["metrics"]["roc_auc"] > 0.7
    assert summary["labels"]["positive"] == {"Yes": int((history["Churn"] == "Yes").sum())}
    assert _versions() == [] and _versions("renewal") == ["1"]  # nothing under lead-scoring

    out = tmp_path / "churn_scores.csv"
    assert main(["score", "predict", "--leads", str(tmp_path / "customers.csv"), "--out", str(out),
                 "--model", "models:/renewal@champion", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["version"] == "1" and result["scored"] == len(new)
    scores = pd.read_csv(out)
    assert list(scores["customerID"]) == list(new["customerID"])
    by_contract = scores["probability"].groupby(new["Contract"].to_numpy()).mean()
    assert by_contract["Month-to-month"] > by_contract["One year"] > by_contract["Two year"]


def test_three_valued_status_trains_and_counts_the_third_value_as_open(exports, tmp_path, capsys):
    summary, err = _train(capsys, exports["status"], tmp_path / "status", "--target", "Status",
                          "--positive", "Qualified", "--negative", "Unqualified", "--no-register")
    status = pd.read_csv(exports["status"])["Status"]
    working = int((status == "Working").sum())
    assert summary["labels"]["open"] == {"Working": working} and summary["metrics"]["n_open"] == working
    assert summary["labels"]["positive"] == {"Qualified": int((status == "Qualified").sum())}
    capsys.readouterr()
    assert main(["score", "train", "--leads", str(exports["status"]), "--out", str(tmp_path / "s2"), *FAST,
                 "--no-register", "--target", "status", "--positive", "Qualified", "--negative", "Unqualified"]) == 0
    err = capsys.readouterr().err
    assert f"label Status: {int((status == 'Qualified').sum()):,} positive (Qualified), " in err
    assert f"{working:,} open (Working)" in err


def test_which_store_default_plan_file_and_variable(exports, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    monkeypatch.chdir(project)
    _, err = _train(capsys, exports["leads"], project / "o1")
    store = project / "models" / "mlflow.db"
    assert f"MLflow store: sqlite:///{store} (created now; the default: models/ of the working directory)" in err
    assert _champion() == "1"

    # From a subfolder nothing is registered: predict refuses, and names the store above.
    monkeypatch.chdir(project / "sub")
    assert main(["score", "predict", "--leads", str(exports["leads"]), "--out", "s.csv"]) == 2
    err = capsys.readouterr().err
    assert f"error: MLflow store sqlite:///{project / 'sub' / 'models' / 'mlflow.db'} (the default" in err
    assert f"the store above this folder is {store}; use it with MLFLOW_TRACKING_URI=sqlite:///{store}" in err
    assert not (project / "sub" / "models").exists()

    # A plan file fixes the store for a team, relative to the plan file, from any folder.
    (project / "team").mkdir()
    (project / "team" / "plan.toml").write_text(
        '[mlflow]\ntracking_uri = "sqlite:///store/mlflow.db"\n[scoring]\nmodel_name = "team-leads"\n')
    _, err = _train(capsys, exports["leads"], project / "o2", "--config", "../team/plan.toml")
    team = project / "team" / "store" / "mlflow.db"
    assert f"MLflow store: sqlite:///{team} (created now; from the plan file's [mlflow] tracking_uri)" in err
    assert _versions("team-leads") == ["1"]
    assert main(["score", "promote", "1", "--config", "../team/plan.toml"]) == 0
    assert f"MLflow store: sqlite:///{team} (existing; from the plan file's [mlflow] tracking_uri)" in \
        capsys.readouterr().err

    # MLFLOW_TRACKING_URI wins over the plan file.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store}")
    assert main(["score", "rollback", "--config", "../team/plan.toml"]) == 2
    err = capsys.readouterr().err
    assert f"MLflow store: sqlite:///{store} (existing; from MLFLOW_TRACKING_URI)" in err
    assert "'team-leads' has no champion" in err


@pytest.mark.slow
def test_plan_registers_under_its_model_name_in_its_store(sample_data_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plan.toml").write_text(textwrap.dedent("""\
        steps = ["scoring"]
        [mlflow]
        tracking_uri = "sqlite:///team-store/mlflow.db"
        [scoring]
        model_name = "plan-leads"
        candidates = ["logistic_regression"]
        threads = 1
        exclude = ["form_comment"]
        """))
    assert main(["plan", "--data", str(sample_data_dir), "--out", str(tmp_path / "plan"),
                 "--config", str(tmp_path / "plan.toml"), "--quiet"]) == 0
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text())
    decision = summary["mlflow"]["scoring"]["registry"]
    assert (decision["model_name"], decision["version"], decision["status"]) == ("plan-leads", "1", "champion")
    assert (tmp_path / "team-store" / "mlflow.db").is_file() and not (tmp_path / "models").exists()
    assert _versions("plan-leads") == ["1"]


IMPORTS = """
import json, sys
import mlflow, mlflow.pyfunc, mlflow.models, mlflow.tracking, mlflow.exceptions
before = set(sys.modules)
import joblib, pandas as pd
from scoring import registry
scorer = joblib.load(sys.argv[1])
scorer.score_frame(pd.read_csv(sys.argv[2]))
print(json.dumps(sorted({m.split(".")[0] for m in set(sys.modules) - before})))
"""


# Imported when installed, not needed: scikit-learn's progress bar (sklearn/callback/_progressbar.py
# imports rich inside a try).
OPTIONAL = {"rich"}


def _closure(names: set[str]) -> set[str]:
    """The distributions ``names`` need, with their own requirements (extras left out)."""
    from importlib import metadata

    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = [n.lower().replace("_", "-") for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name.lower().replace("_", "-"))
    return seen


def test_model_requirements_cover_what_loading_a_model_imports(exports, tmp_path):
    """Every distribution that unpickling and scoring a model imports is in the logged
    requirements (or comes with mlflow, which MLflow lists itself)."""
    from importlib import metadata

    import joblib

    from scoring import LeadScorer, ScoringConfig, registry

    leads = pd.read_csv(exports["leads"], dtype=str, keep_default_na=False)
    scorer = LeadScorer.from_config(ScoringConfig(candidates=("logistic_regression", "gradient_boosting"),
                                                  threads=1)).fit(leads)
    joblib.dump(scorer, tmp_path / "scorer.joblib")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", IMPORTS, str(tmp_path / "scorer.joblib"), str(exports["leads"])],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = set(json.loads(done.stdout.strip().splitlines()[-1]))
    local = {p.name for p in registry.code_packages()}
    assert local == {"scoring", "parsing"} and local <= imported
    owners = metadata.packages_distributions()
    # Compiled helpers of scipy register as top-level modules of their own (_ni_label, ...).
    modules = {m for m in imported - local - set(sys.stdlib_module_names) if m in owners or not m.startswith("_")}
    needed = {d.lower() for m in modules for d in owners.get(m, [m])} - OPTIONAL
    listed = {r.split("==")[0].lower() for r in registry.model_requirements()}
    assert needed - _closure(listed | {"mlflow"}) == set()
    assert all("==" in r for r in registry.model_requirements())


@pytest.mark.slow
def test_registered_model_loads_in_a_fresh_virtual_environment(exports, tmp_path, capsys):
    """Only the model's own requirements.txt installed, no revops: load_model by alias, predict."""
    from mlflow.artifacts import download_artifacts

    _train(capsys, exports["leads"], tmp_path / "out")
    model_dir = Path(download_artifacts("models:/lead-scoring@champion", dst_path=str(tmp_path / "model")))
    assert {p.name for p in (model_dir / "code").iterdir()} == {"scoring", "parsing"}
    assert not (model_dir / "code" / "scoring" / "service").exists()
    assert (model_dir / "input_example.json").is_file()
    requirements = (model_dir / "requirements.txt").read_text().split()
    assert requirements[0].startswith("mlflow==") and any(r.startswith("scikit-learn==") for r in requirements)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(model_dir / "requirements.txt")],
                             capture_output=True, text=True, env=env, timeout=1800)
    assert install.returncode == 0, install.stderr[-3000:]
    script = textwrap.dedent("""\
        import importlib.util, json, sys
        assert importlib.util.find_spec("scoring") is None and importlib.util.find_spec("revops") is None
        import mlflow, pandas as pd
        model = mlflow.pyfunc.load_model("models:/lead-scoring@champion")
        assert model.metadata.signature is not None
        out = model.predict(pd.read_csv(sys.argv[1]).head(50))
        print(json.dumps(out["probability"].tolist()))
        """)
    done = subprocess.run([str(python), "-c", script, str(exports["leads"])], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    probabilities = json.loads(done.stdout.strip().splitlines()[-1])
    from scoring import registry

    expected = registry.load("models:/lead-scoring@champion").predict_proba(pd.read_csv(exports["leads"]).head(50))
    np.testing.assert_allclose(probabilities, expected, rtol=1e-12)
