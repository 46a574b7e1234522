"""Fixtures of the forecasting tests (the generators live in forecast_data.py)."""
from __future__ import annotations

import pandas as pd
import pytest

from forecast_data import make_history


@pytest.fixture
def history() -> pd.DataFrame:
    return make_history()
