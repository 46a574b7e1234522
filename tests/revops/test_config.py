"""The plan file: every value checked when it is read, every problem in one message, exit 2,
nothing written; --print-config round-trips; a command and the plan share their defaults."""
from __future__ import annotations

import re

import time
from pathlib import Path

import pytest

from revops.cli import main
from revops.config import PlanConfig, config_to_toml, load_config
from revops.errors import ConfigError

# (plan-file text, the key the message must name)
OUT_OF_RANGE = [
    ("[territory]\nmip_gap = -1\n", "territory.mip_gap"),
    ("[territory]\nbalance_tolerance = 1.5\n", "territory.balance_tolerance"),
    ("[territory]\ntime_limit = 0\n", "territory.time_limit"),
    ("[territory]\nobjective = \"fastest\"\n", "territory.objective"),
    ("[forecast]\nlevels = [150]\n", "forecast.levels"),
    ("[forecast]\nhorizon = 0\n", "forecast.horizon"),
    ("[forecast]\nfreq = \"W\"\n", "forecast.freq"),
    ("[funnel]\nexpected_attainment = 5\n", "funnel.expected_attainment"),
    ("[scoring]\ntier_thresholds = [60, 35]\n", "scoring.tier_thresholds"),
    ("[data]\nas_of = \"yesterday\"\n", "data.as_of"),
    ("[data]\nas_of = \"soon\"\n", "data.as_of"),
    ("seed = -1\n", "seed"),
    ("steps = [\"scoring\", \"forecasts\"]\n", "steps"),
    ("[territory]\nmip_gapp = 0.01\n", "territory.mip_gapp"),
    ("[columns.lead]\nStatus = \"is_sql\"\n", "columns"),
]


@pytest.mark.parametrize("text,key", OUT_OF_RANGE, ids=[k for _, k in OUT_OF_RANGE])
def test_a_bad_value_is_refused_at_load_naming_the_key(tmp_path: Path, text: str, key: str, capsys):
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text(text, encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    out = tmp_path / "out"
    start = time.perf_counter()
    assert main(["plan", "--data", str(data), "--out", str(out), "--config", str(plan_file)]) == 2
    assert time.perf_counter() - start < 30  # refused at load, long before any step could run
    err = capsys.readouterr().err
    assert key in err and str(plan_file) in err
    assert not out.exists()
    assert not any(p.name.startswith(".out") for p in tmp_path.iterdir())


def test_every_problem_is_listed_in_one_message(tmp_path: Path):
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text("seed = -1\n[territory]\nmip_gap = -1\n[forecast]\nhorizon = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(plan_file)
    message = str(info.value)
    assert "3 problem(s)" in message
    for key in ("seed", "territory.mip_gap", "forecast.horizon"):
        assert key in message
    assert "got -1" in message and "got 0" in message


def test_print_config_round_trips_every_key(tmp_path: Path):
    text = (
        'seed = 7\nsteps = ["forecast", "territory"]\n'
        '[data]\nas_of = 2026-12-31\ntarget_growth = 0.1\n[data.tables]\nleads = "Leads Export.csv"\n'
        '[columns.leads]\n"Lead Source" = "source"\n'
        '[scoring]\nexclude = ["form_comment"]\ntier_thresholds = [60.0, 35.0, 15.0]\n'
        '[forecast]\nlevels = [80, 90]\nfill_missing = "zero"\n'
        '[territory]\nmax_moved_share = 0.2\ntime_limit = "none"\nobjective = "mix"\n'
        'disruption_weight = 2.0\n'
    )
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text(text, encoding="utf-8")
    config = load_config(plan_file)
    assert config.territory.time_limit is None and config.territory.max_moved_share == 0.2
    assert config.territory.disruption_weight == 2.0
    printed = config_to_toml(config)
    again = tmp_path / "again.toml"
    again.write_text(printed, encoding="utf-8")
    assert load_config(again) == config
    assert load_config(None) == PlanConfig()
    reprinted = tmp_path / "defaults.toml"
    reprinted.write_text(config_to_toml(PlanConfig()), encoding="utf-8")
    assert load_config(reprinted) == PlanConfig()


def test_print_config_shows_no_sentinels(capsys):
    assert main(["plan", "--print-config"]) == 0
    out = capsys.readouterr().out
    assert "-2.0" not in out and "-1.0" not in out
    assert "mip_gap = 0.005" in out and "time_limit = 600.0" in out


def test_territory_flags_and_plan_share_defaults():
    import argparse

    from territory import TerritoryConfig

    from revops.flags import add_config_flags, config_from_flags

    parser = argparse.ArgumentParser()
    add_config_flags(parser, TerritoryConfig)
    from_flags = config_from_flags(TerritoryConfig, parser.parse_args([]))
    assert from_flags == PlanConfig().territory
    tuned = config_from_flags(TerritoryConfig, parser.parse_args(
        ["--mip-gap", "0.01", "--max-moved-share", "0.15", "--no-best-effort", "--time-limit", "none"]))
    assert (tuned.mip_gap, tuned.max_moved_share, tuned.best_effort, tuned.time_limit) == (0.01, 0.15, False, None)
    with pytest.raises(ConfigError, match="--mip-gap"):
        config_from_flags(TerritoryConfig, parser.parse_args(["--mip-gap", "-1"]))


def test_user_keys_become_mlflow_safe_parameter_names():
    from revops.config import build_config

    config = build_config({"forecast": {"categories": {"Proposal (sent)": "commit"}}})
    params = config.params()
    assert params["forecast.categories.Proposal _sent_"] == "commit"
    assert all(re.fullmatch(r"[\w\-. /]+", key) for key in params)
