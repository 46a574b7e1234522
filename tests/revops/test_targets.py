import pandas as pd

from revops.targets import targets_from_growth


def opps(rows):
    frame = pd.DataFrame(rows, columns=["segment", "close_date", "amount", "is_won"])
    frame["close_date"] = pd.to_datetime(frame["close_date"])
    return frame


def test_same_quarter_last_year_when_fully_covered():
    frame = opps([("A", "2025-01-15", 100, 1), ("A", "2025-02-01", 50, 1), ("A", "2025-12-01", 999, 1),
                  ("A", "2025-03-01", 70, 0)])
    targets, note = targets_from_growth(frame, pd.Period("2026Q1"), 0.1)
    assert targets.to_dict("records") == [{"segment": "A", "period": "2026Q1", "target": 165.0}]
    assert "2025Q1 x 1.10" in note


def test_last_quarter_when_history_starts_mid_year():
    frame = opps([("A", "2025-03-20", 100, 1), ("A", "2025-11-01", 40, 1), ("A", "2025-12-01", 60, 1)])
    targets, note = targets_from_growth(frame, pd.Period("2026Q1"), 0.0)
    assert targets["target"].tolist() == [100.0] and "2025Q4" in note
