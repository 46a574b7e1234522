"""Feature inference and cell cleaning on small hand-made tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring.schema import infer_column, infer_schema
from scoring.values import clean_token, parse_bool, parse_number


@pytest.mark.parametrize("value", ["", "  ", "N/A", "n/a", "-", "unknown", "None", "null", "?", None, np.nan])
def test_placeholders_are_missing(value):
    assert clean_token(value) is None


def test_tokens_numbers_and_booleans():
    assert clean_token(1.0) == "1" and clean_token(" Software ") == "Software"
    assert parse_number("12,500") == 12500.0 and np.isnan(parse_number("N/A"))
    assert parse_number("abc") is None
    assert parse_bool("Yes") == 1.0 and parse_bool("false") == 0.0 and parse_bool(0) == 0.0
    assert parse_bool("maybe") is None and np.isnan(parse_bool("?"))


def _table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(n)],
        "email": [f"user{i}@example.com" for i in range(n)],
        "employees": np.where(rng.random(n) < 0.1, "N/A", rng.integers(1, 500, n).astype(str)),
        "source": rng.choice(["Web", "Event", "Referral", "-"], n),
        "city": [f"City{int(v)}" for v in rng.zipf(1.3, n) % 200],
        "opted_in": rng.choice(["Yes", "No", ""], n),
        "flag01": rng.integers(0, 2, n),
        "created": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 10_000, n), unit="min"),
        "created_text": (pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D")).strftime("%Y-%m-%d"),
        "comment": [" ".join(rng.choice(["please", "call", "me", "about", "pricing", "soon"], 6)) for _ in range(n)],
        "constant": "web",
        "empty": rng.choice(["", "N/A", "unknown"], n),
        "account_id": rng.choice([f"A{i}" for i in range(80)], n),
        "is_sql": rng.integers(0, 2, n),
    })


def test_infer_schema_kinds_and_reasons():
    specs = {s.name: s for s in infer_schema(_table(), target="is_sql", id_col="lead_id", exclude=["flag01"])}
    kinds = {name: spec.kind for name, spec in specs.items()}
    assert kinds == {
        "lead_id": "identifier", "email": "identifier", "employees": "numeric", "source": "categorical",
        "city": "categorical", "opted_in": "boolean", "flag01": "excluded", "created": "date",
        "created_text": "date", "comment": "text", "constant": "constant", "empty": "empty",
        "account_id": "identifier", "is_sql": "label",
    }
    used = sorted(n for n, s in specs.items() if s.used)
    assert used == ["city", "created", "created_text", "employees", "opted_in", "source"]
    assert specs["employees"].n_missing == (_table()["employees"] == "N/A").sum()
    assert "one value only" in specs["constant"].reason and "'web'" in specs["constant"].reason
    assert "free text" in specs["comment"].reason
    assert specs["city"].n_distinct > 30 and "high cardinality" in specs["city"].reason


def test_zero_one_column_is_boolean_and_junk_numbers_are_noted():
    series = pd.Series(["1", "0", "1", "0"] * 10)
    assert infer_column(series, "flag").kind == "boolean"
    values = pd.Series([str(i) for i in range(99)] + ["lots"])
    spec = infer_column(values, "employees")
    assert spec.kind == "numeric" and spec.notes == ("1 values are not numbers; treated as missing in training",)
