"""ScoringConfig: defaults, checks at construction, and the scorer built from it."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from scoring import LeadScorer, ScoringConfig, ScoringInputError
from scoring.synthetic import make_leads


@pytest.fixture(scope="module")
def leads() -> pd.DataFrame:
    return make_leads(2000, seed=11)[0]


def test_defaults():
    config = ScoringConfig()
    assert dataclasses.asdict(config) == {
        "target": "is_sql", "positive": None, "negative": None, "id_column": "lead_id", "time_column": "created_at",
        "exclude": (), "tier_thresholds": None, "calibration": "sigmoid",
        "candidates": ("logistic_regression", "gradient_boosting"), "threads": None,
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.target = "converted"


@pytest.mark.parametrize("values,field,message", [
    ({"threads": 0}, "threads", "greater than or equal to 1"),
    ({"tier_thresholds": (10, 50, 20)}, "tier_thresholds", "A >= B >= C"),
    ({"tier_thresholds": (101, 50, 20)}, "tier_thresholds", "less than or equal to 100"),
    ({"tier_thresholds": (60, 30)}, "tier_thresholds", "at least 3 items"),
    ({"candidates": ()}, "candidates", "at least 1 item"),
    ({"candidates": ("random_forest",)}, "candidates", "'logistic_regression' or 'gradient_boosting'"),
    ({"candidates": ("gradient_boosting", "gradient_boosting")}, "candidates", "twice"),
    ({"calibration": "platt"}, "calibration", "'sigmoid' or 'isotonic'"),
    ({"positive": ""}, "positive", "at least 1 character"),
    ({"exclude": ("created_at",)}, None, "exclude names 'created_at', the time_column"),
    ({"time_col": "created_at"}, "time_col", "Unexpected keyword argument"),
    ({"positive": ()}, "positive", "names no label value"),
    ({"negative": ("No", "no")}, "negative", "names a label value twice"),
    ({"positive": "Won", "negative": ("Lost", "won")}, None, "positive and negative both name 'won'"),
])
def test_invalid_values_raise_at_construction(values, field, message):
    with pytest.raises(ValidationError) as info:
        ScoringConfig(**values)
    error = info.value.errors()[0]
    assert error["loc"][:1] == ((field,) if field else ())
    assert message in error["msg"]


def test_text_values_are_read_as_the_command_line_gives_them():
    config = ScoringConfig(tier_thresholds=("60", "35", "15"), threads="2", time_column=None)
    assert config.tier_thresholds == (60.0, 35.0, 15.0) and config.threads == 2
    assert config.time_column is None


def test_label_values_one_or_several():
    """A plan file writes one value, a number or a list; the command line comma-separates."""
    assert ScoringConfig(positive="Qualified").positive == ("Qualified",)
    assert ScoringConfig(positive=1, negative=0).positive == ("1",)
    assert ScoringConfig(negative="Unqualified, Disqualified").negative == ("Unqualified", "Disqualified")
    assert ScoringConfig(negative=["Lost, for now"]).negative == ("Lost, for now",)


def test_default_threads_is_half_the_cpus(monkeypatch):
    import os

    from scoring.model import default_threads

    for cpus, expected in ((1, 1), (2, 1), (3, 1), (8, 4)):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid, n=cpus: set(range(n)), raising=False)
        assert default_threads() == expected


def test_from_config_passes_every_knob():
    config = ScoringConfig(target="converted", positive="SQL", negative="Disqualified", id_column="Record ID",
                           time_column="Create Date",
                           exclude=("Lead Status",), tier_thresholds=(70, 40, 10), calibration="isotonic",
                           candidates=("gradient_boosting",), threads=1)
    scorer = LeadScorer.from_config(config, random_state=7)
    assert (scorer.target, scorer.positive, scorer.negative, scorer.id_col, scorer.time_col) == (
        "converted", ("SQL",), ("Disqualified",), "Record ID", "Create Date")
    assert (scorer.exclude, scorer.tier_thresholds, scorer.calibration) == (("Lead Status",), (70, 40, 10), "isotonic")
    assert (scorer.candidates, scorer.n_threads, scorer.random_state) == (("gradient_boosting",), 1, 7)


def test_from_config_fits_like_keywords(leads):
    config = ScoringConfig(candidates=("logistic_regression",), threads=1, tier_thresholds=(60, 35, 15))
    a = LeadScorer.from_config(config, random_state=3).fit(leads)
    b = LeadScorer(time_col="created_at", candidates=("logistic_regression",), n_threads=1,
                   tier_thresholds=(60, 35, 15), random_state=3).fit(leads)
    assert a.metrics_["holdout"] == "time-ordered"
    np.testing.assert_array_equal(a.predict_proba(leads), b.predict_proba(leads))
    assert a.tier_thresholds_ == (60.0, 35.0, 15.0)


def test_absent_time_column_names_the_parameter(leads):
    scorer = LeadScorer.from_config(ScoringConfig(), random_state=0)
    with pytest.raises(ScoringInputError, match=r"leads: the time column 'created_at' \(parameter time_column\) "
                                                r"is missing\. Columns found: lead_id, .*Hint: set time_column "
                                                r"to the column holding each lead's creation date, or to None"):
        scorer.fit(leads.drop(columns=["created_at"]))
    fitted = LeadScorer.from_config(ScoringConfig(time_column=None, candidates=("logistic_regression",)),
                                    random_state=0).fit(leads.drop(columns=["created_at"]))
    assert fitted.metrics_["holdout"] == "stratified"


def test_figures_are_returned_not_written(leads, tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from scoring.plots import figures

    monkeypatch.chdir(tmp_path)
    scorer = LeadScorer.from_config(ScoringConfig(candidates=("logistic_regression",)), random_state=0).fit(leads)
    figs = figures(scorer)
    assert list(figs) == ["calibration", "lift", "roc", "feature_importance"]
    assert all(isinstance(f, Figure) for f in figs.values())
    assert figs["lift"].axes[0].get_xlabel() == "score decile (1 = best)"
    assert len(figs["lift"].axes[0].patches) == 10  # one bar per decile
    used = int(scorer.feature_report_["importance"].notna().sum())
    assert len(figs["feature_importance"].axes[0].patches) == used
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ScoringInputError, match="not fitted"):
        figures(LeadScorer())
