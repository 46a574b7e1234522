"""Plan-file preparation for exports that lack our columns (the Maven CRM export is the real case)."""
from pathlib import Path

import pandas as pd
import pytest

from revops.config import load_config
from revops.errors import ConfigError
from revops.inputs import load_inputs
from revops.prepare import derive_columns, drop_empty

ROOT = Path(__file__).resolve().parents[2]
MAVEN = ROOT.parent / "shared" / "data" / "crm-sales-opportunities"


def test_lookup_ignores_case_spacing_and_reports_misses(tmp_path):
    pd.DataFrame({"product": ["GTX Pro", "MG Special"], "series": ["GTX", "MG"]}).to_csv(
        tmp_path / "products.csv", index=False)
    raw = pd.DataFrame({"product": ["GTXPro", "mg-special", "Unknown"]})
    out, notes = derive_columns(raw, [{"column": "series", "from": "product",
                                       "lookup": {"file": "products.csv", "key": "product", "value": "series"}}],
                                tmp_path, "pipeline.csv")
    assert out["series"].tolist() == ["GTX", "MG", None]
    assert notes == ["pipeline.csv: derive rule 1 (series): 1 row(s) found no match in products.csv; left empty"]


def test_most_frequent_breaks_ties_alphabetically(tmp_path):
    pd.DataFrame({"account": ["A", "A", "A", "A", "B"], "agent": ["zed", "amy", "zed", "amy", "bo"]}).to_csv(
        tmp_path / "deals.csv", index=False)
    out, _ = derive_columns(pd.DataFrame({"account": ["A", "B", "C"]}),
                            [{"column": "owner", "from": "account",
                              "most_frequent": {"file": "deals.csv", "key": "account", "value": "agent"}}],
                            tmp_path, "accounts.csv")
    assert out["owner"].tolist() == ["amy", "bo", None]


def test_map_default_and_bad_rule(tmp_path):
    raw = pd.DataFrame({"stage": ["Won", "lost", "Engaging"]})
    out, _ = derive_columns(raw, [{"column": "is_won", "from": "stage", "map": {"Won": 1, "Lost": 0}}], tmp_path, "x")
    assert out["is_won"].tolist() == [1, 0, None]
    with pytest.raises(ConfigError, match="give exactly one of value, map, lookup, most_frequent"):
        derive_columns(raw, [{"column": "a", "value": 1, "map": {}}], tmp_path, "x")
    with pytest.raises(ConfigError, match="column 'stag' is not in the file"):
        derive_columns(raw, [{"column": "a", "from": "stag", "map": {}}], tmp_path, "x")


def test_drop_empty_says_how_many():
    frame, notes = drop_empty(pd.DataFrame({"d": ["2020-01-01", None, " "]}), ["d"], "f.csv")
    assert len(frame) == 1 and notes == ["f.csv: 2 row(s) excluded because 'd' is empty (drop_empty)"]


@pytest.mark.skipif(not MAVEN.is_dir(), reason="the public Maven CRM export lives in ../shared/data (CI has it)")
def test_maven_export_loads_with_its_plan_file():
    config = load_config(ROOT / "examples" / "maven-crm" / "plan.toml")
    bundle = load_inputs(MAVEN, columns=config.columns, file_names=config.data.tables,
                         derive=config.derive, drop_empty=config.drop_empty)
    opps, accounts, reps = bundle.get("opportunities"), bundle.get("accounts"), bundle.get("reps")
    assert len(opps) == 8800 - 500 and any("500 row(s) excluded" in n for n in bundle.notes)
    assert set(opps["segment"]) == {"Central", "East", "West"} == set(reps["segment"])
    assert opps["product_series"].notna().all(), "GTXPro must match GTX Pro"
    assert opps.loc[opps["stage"] == "Won", "is_won"].eq(1).all() and opps["is_won"].isna().sum() == 1589
    assert accounts["owner_rep_id"].isin(set(reps["rep_id"])).all()
