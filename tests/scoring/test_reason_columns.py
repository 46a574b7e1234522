"""The batch reason texts (formatted only for the values that reach a lead's top k) equal the
per-lead reference: ``top_reasons`` then ``reason_text``, lead by lead."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring.reasons import reason_columns, reason_text, top_reasons


def _raw(rng: np.random.Generator, n: int, groups: list[str]) -> pd.DataFrame:
    cols = {}
    for i, g in enumerate(groups):
        kind = i % 4
        if kind == 0:
            cols[g] = pd.Series(rng.choice(["a", "b", None, " c ", "n/a"], n), dtype=object)
        elif kind == 1:
            cols[g] = pd.Series(np.where(rng.random(n) < .1, np.nan, rng.normal(size=n) * 1e4))
        elif kind == 2:
            cols[g] = pd.Series(pd.to_datetime("1969-12-25") + pd.to_timedelta(rng.integers(0, 99, n), "D"))
        else:
            cols[g] = pd.Series(rng.integers(0, 5, n)).astype("category")
    return pd.DataFrame(cols)


@pytest.mark.parametrize("seed", range(40))
def test_batch_reason_texts_equal_the_per_lead_reference(seed):
    rng = np.random.default_rng(seed)
    n, n_groups, k = int(rng.integers(1, 200)), int(rng.integers(1, 7)), int(rng.integers(1, 5))
    contributions = rng.normal(size=(n, n_groups))
    contributions[rng.random((n, n_groups)) < 0.2] = 0.0
    contributions[rng.random((n, n_groups)) < 0.05] = np.nan
    groups = [f"g{i}" for i in range(n_groups)]
    raw = _raw(rng, n, groups)
    batch = reason_columns(contributions, groups, raw, k)
    reference = top_reasons(contributions, groups, {g: raw[g].tolist() for g in groups}, k)
    for j, column in enumerate(batch):
        expected = []
        for i in range(n):
            # top_reasons drops the reasons it does not show; the batch keeps the rank empty
            ranked = np.argsort(-np.abs(contributions[i]), kind="stable")[:min(k, n_groups)]
            g = ranked[j] if j < len(ranked) else None
            shown = {r["feature"]: r for r in reference[i]}
            expected.append(reason_text(shown.get(groups[g])) if g is not None else "")
        assert list(column) == expected
