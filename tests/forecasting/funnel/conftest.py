"""Hand-made CRM tables small enough to compute every funnel KPI by hand (see the comments)."""
from __future__ import annotations

import pandas as pd
import pytest

# The tables' export date is funnel_tables.AS_OF (the tests import it from there).


def _opp(oid, segment, created, stage, amount, close, is_won, lead_id=None, account="acc-x", rep="R1"):
    return dict(opportunity_id=oid, account_id=account, segment=segment, created_at=created, stage=stage,
                amount=amount, close_date=close, is_won=is_won, owner_rep_id=rep, closed_at=None,
                lead_id=lead_id)


@pytest.fixture
def opportunities() -> pd.DataFrame:
    rows = [
        # Segment A, in the window: 3 won (cycles 10/20/30 days, amounts 100/200/300), 1 lost.
        _opp("o1", "A", "2026-03-01", "Closed Won", 100.0, "2026-03-11", 1, lead_id="L1", account="a1"),
        _opp("o2", "A", "2026-04-01", "Closed Won", 200.0, "2026-04-21", 1, lead_id="L2", account="a2"),
        _opp("o3", "A", "2026-05-01", "Closed Won", 300.0, "2026-05-31", 1, account="a9", rep="R2"),
        _opp("o4", "A", "2026-02-01", "Closed Lost", 50.0, "2026-03-01", 0, account="a9"),
        # Open: o5 closes inside 2027Q1, o6 after it.
        _opp("o5", "A", "2026-11-01", "1 Discovery", 500.0, "2027-02-15", None, account="a9"),
        _opp("o6", "A", "2026-12-01", "2 Proposal", 700.0, "2027-05-01", None, account="a9"),
        # Before the window: counts in bookings (2025Q1) but not in the rates.
        _opp("o7", "A", "2025-01-01", "Closed Won", 10_000.0, "2025-02-01", 1, account="a9"),
        # Segment B: 1 won (40 days, 1000), 2 lost.
        _opp("o8", "B", "2026-06-01", "Closed Won", 1000.0, "2026-07-11", 1, account="b1", rep="R3"),
        _opp("o9", "B", "2026-06-01", "Closed Lost", 400.0, "2026-08-01", 0, account="b1", rep="R3"),
        _opp("o10", "B", "2026-07-01", "Closed Lost", 400.0, "2026-09-01", 0, account="b1", rep="R3"),
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def leads() -> pd.DataFrame:
    # Segment A, 2026: 4 SQL (L1..L4), 4 not, 2 open -> MQL->SQL = 4/8.
    # L1 -> o1 after 28 days, L2 -> o2 after 31 days (by lead_id): SQL->opportunity = 2/4.
    rows = [
        ("L1", "2026-02-01", 1, "A", "a1"), ("L2", "2026-03-01", 1, "A", "a2"),
        ("L3", "2026-06-01", 1, "A", "a3"), ("L4", "2026-07-01", 1, "A", "a4"),
        ("L5", "2026-02-01", 0, "A", None), ("L6", "2026-03-01", 0, "A", None),
        ("L7", "2026-04-01", 0, "A", None), ("L8", "2026-05-01", 0, "A", None),
        ("L9", "2026-12-20", None, "A", None), ("L10", "2026-12-21", None, "A", None),
        # Segment B: 1 SQL of 4 decided.
        ("L11", "2026-05-01", 1, "B", "b1"), ("L12", "2026-05-01", 0, "B", None),
        ("L13", "2026-05-02", 0, "B", None), ("L14", "2026-05-03", 0, "B", None),
        # Before the window: ignored by the rates.
        ("L0", "2025-01-01", 1, "A", None),
    ]
    return pd.DataFrame(rows, columns=["lead_id", "created_at", "is_sql", "segment", "account_id"])


@pytest.fixture
def targets() -> pd.DataFrame:
    return pd.DataFrame({"segment": ["A", "B"], "period": ["2027Q1", "2027Q1"], "target": [1000.0, 3000.0]})


@pytest.fixture
def reps() -> pd.DataFrame:
    return pd.DataFrame({"rep_id": ["R1", "R2", "R3", "S1"], "segment": ["A", "A", "B", "A"],
                         "region": ["NA", None, "NA", "NA"], "capacity": [1.0, 0.5, 1.0, 1.0],
                         "ramp": [1.0, 0.5, 1.0, 1.0]})
