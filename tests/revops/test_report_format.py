"""The report's formatting and layout, on hand-made frames: numbers as a sales leader reads them,
labels, key columns first, scroll boxes, empty sections left out, and the headline."""
from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from revops.report import Section, Table, render_report, table_html
from revops.report_format import (
    compact_number, format_frame, infer_kind, label, money, percent, share,
)


@pytest.mark.parametrize("value, currency, compact, text", [
    (12202429.4, "USD", False, "$12,202,429"),
    (12650000, "USD", True, "$12.65M"),
    (552002, "EUR", True, "€552K"),
    (-552002, "USD", True, "-$552K"),
    (45300, None, True, "45.3K"),
    (1.5e9, "GBP", True, "£1.50B"),
    (1234.0, "CHF", False, "CHF 1,234"),
    (1234.0, "SEK", True, "SEK 1.2K"),
    (float("nan"), "USD", False, ""),
    (None, "USD", True, ""),
])
def test_money(value, currency, compact, text):
    assert money(value, currency, compact=compact) == text


def test_shares_percentages_and_compact_numbers():
    assert share(0.645) in ("64%", "65%") and share(0.0645) == "6.5%" and share(0.37) == "37%" and share(0.0042) == "0.4%"
    assert share(1.0) == "100%" and share(np.nan) == ""
    assert percent(-9.95) == "-9.9%" and percent(309.1) == "309%"
    assert compact_number(999_999) == "1.00M" and compact_number(99_960) == "100K"


def test_labels_and_kinds():
    assert label("p_target") == "P(target)" and label("gap_to_target") == "Gap to target"
    assert label("mql_still_needed") == "MQL still needed" and label("aes_on_file") == "AEs on file"
    assert label("potential_deviation_pct") == "Potential vs fair share"
    assert infer_kind("probability_of_target", pd.Series([0.2, 0.9])) == "share"
    assert infer_kind("win_rate", pd.Series([0.2])) == "share"
    assert infer_kind("potential_deviation_pct", pd.Series([-9.9, 12.0])) == "percent"
    assert infer_kind("open_pipeline", pd.Series([1.5e6])) == "money"
    assert infer_kind("lo_95", pd.Series([1.0])) == "money"
    assert infer_kind("open_deals", pd.Series([3, 4])) == "count"
    assert infer_kind("lift", pd.Series([2.48, 0.3])) == "number"
    assert infer_kind("in_past", pd.Series([True, False])) == "flag"
    assert infer_kind("segment", pd.Series(["SMB"])) == "text"
    # a "rate" column that is not a fraction is a number, not 4,000 %
    assert infer_kind("rate", pd.Series([195522.7, 0.23])) != "share"
    text, kinds = format_frame(pd.DataFrame({"target": [6.41e6], "p_target": [0.065]}), currency="USD")
    assert text.iloc[0].tolist() == ["$6,410,000", "6.5%"] and kinds == {"target": "money", "p_target": "share"}


def test_table_key_columns_first_labels_and_scroll_box():
    wide = pd.DataFrame({f"col_{i}": [i] for i in range(12)} | {"rep_id": ["R001"], "quota": [907824.9]})
    html = table_html(Table(wide, key=("rep_id", "quota")), currency="USD")
    headers = re.findall(r"<th[^>]*title='([^']+)'", html)
    assert headers[:2] == ["rep_id", "quota"]                         # key columns first
    assert ">Rep</th>" in html and ">Quota</th>" in html and "$907,825" in html
    assert html.startswith("<div class='scroll'><table class='t wide'")  # scrolls inside its box
    long = table_html(Table(pd.DataFrame({"basis": ["x" * 60], "role": ["AE"]})))
    assert "class='txt long'" in long and "class='txt'" in long
    many = table_html(Table(pd.DataFrame({"n": range(80)}), max_rows=10))
    assert many.count("<tr>") == 11 and "First 10 of 80 rows" in many


def test_sections_with_nothing_to_show_are_left_out_with_a_note():
    skipped = Section("Lead scoring", paragraphs=["Note: step 'scoring' skipped: no leads table."])
    empty_table = Table(pd.DataFrame(columns=["assumption"]), "Top drivers", empty_note="nothing moves it")
    full = Section("Bookings forecast", paragraphs=["Text.", "Note: one", "Note: two", "Note: three"],
                   tables=[("Forecast", pd.DataFrame({"segment": ["SMB"], "p50": [2.0e6]})), empty_table],
                   anchor="forecast")
    page = render_report("Plan", "sub", [skipped, full], currency="EUR")
    assert "<h2>Lead scoring</h2>" not in page and "href='#s0'" not in page
    assert "Not in this report: Lead scoring (step &#x27;scoring&#x27; skipped: no leads table.)" in page
    assert "<h2>Bookings forecast</h2>" in page and "€2,000,000" in page
    assert "<h3>Top drivers</h3>" not in page and "Top drivers: nothing moves it" in page
    assert "<summary>4 notes on the data and the method</summary>" in page   # folded: more than 2
    assert "<script" not in page and "src='http" not in page


def _state():
    quarter = SimpleNamespace(
        table=pd.DataFrame({"segment": ["A", "B", "Total"], "p10": [80.0, 150.0, 260.0],
                            "p50": [100.0, 200.0, 300.0], "p90": [130.0, 260.0, 350.0],
                            "p_target": [0.7, 0.2, 0.35]}),
        rule="the rule", weight_pipeline=0.6)
    totals = pd.DataFrame({"segment": ["A", "A", "B", "B", "ALL", "ALL"],
                           "stage": ["won", "opportunity"] * 3,
                           "required": [5.0, 20, 10, 40, 15, 60], "due_before_as_of": [0.0, 10, 0, 20, 0, 30],
                           "actual": [np.nan, 12, np.nan, 15, np.nan, 27], "gap": [np.nan, -2, np.nan, 5, np.nan, 3],
                           "expected_from_open": [3.0, np.nan, 4, np.nan, 7, np.nan],
                           "still_needed": [2.0, 4, 6, 12, 8, 16]})
    headcount = pd.DataFrame({"segment": ["A", "A", "B", "B", "ALL", "ALL"], "role": ["ae", "sdr"] * 3,
                              "needed": [2.0, 1, 3, 1, 5, 2], "on_file": [2.0, np.nan, 2, np.nan, 4, np.nan],
                              "productive_fte": [1.5, np.nan, 2, np.nan, 3.5, np.nan],
                              "needed_from_history": [3.0, np.nan, 4, np.nan, 7, np.nan]})
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "segment": ["A", "B", "B"], "pool": ["A/*", "B/*", "B/*"],
                         "quota": [99.0, 110.0, 165.0]})
    return SimpleNamespace(quarter=quarter, pipeline=None, funnel_totals=totals, headcount=headcount,
                           territory=SimpleNamespace(rep_summary=reps))


def test_headline_numbers_per_segment():
    from revops.headline import headline_summary, headline_table

    targets = pd.DataFrame({"segment": ["A", "B"], "period": ["2027Q1", "2027Q1"], "target": [90.0, 250.0]})
    table = headline_table(_state(), targets, pd.Period("2027Q1")).set_index("segment")
    assert table.index.tolist() == ["A", "B", "Total"]
    assert table.loc["Total", "target"] == 340.0 and table.loc["Total", "forecast_p50"] == 300.0
    assert table["gap_to_target"].to_dict() == {"A": -10.0, "B": 50.0, "Total": 40.0}
    assert table.loc["B", "quota_coverage"] == pytest.approx(275.0 / 250.0)
    assert table.loc["Total", "opportunities_still_needed"] == 16 and table.loc["Total", "aes_on_file"] == 4
    summary = headline_summary(_state(), targets, pd.Period("2027Q1"), "USD")
    assert summary["currency"] == "USD" and summary["forecast_rule"] == "the rule"
    b = summary["segments"]["B"]
    assert {k: b[k] for k in ("target", "forecast_p10", "forecast_p50", "forecast_p90", "p_target", "gap_to_target")} \
        == {"target": 250.0, "forecast_p10": 150.0, "forecast_p50": 200.0, "forecast_p90": 260.0,
            "p_target": 0.2, "gap_to_target": 50.0}
    assert b["opportunities_gap"] == 5 and b["aes_needed"] == 3 and b["quota_total"] == 275.0


def test_headline_section_reads_as_words_and_percentages():
    from revops.headline import headline_section

    targets = pd.DataFrame({"segment": ["A", "B"], "period": ["2027Q1", "2027Q1"], "target": [90e6, 250e6]})
    state = _state()
    state.quarter.table[["p10", "p50", "p90"]] *= 1e6
    section = headline_section(state, targets, pd.Period("2027Q1"), "USD")
    page = render_report("Plan", "sub", [section], currency="USD")
    cells = re.findall(r"<td class='num c-p_target'>([^<]*)</td>", page)
    assert cells == ["70%", "20%", "35%"]
    assert "$10.00M ahead" in page and "$50.00M short" in page and "$40.00M short" in page
    assert "chance of reaching it" in page and "<b>$300.00M</b>" in page
    assert "AEs needed / on file" in page and ">3.0 / 2<" in page


def test_top_drivers_keep_the_largest_effects_only():
    from revops.steps.funnel import top_drivers

    rows = []
    for i, name in enumerate(["a", "b", "c", "d", "e", "f", "g"]):
        for change in (-0.1, 0.1):
            rows.append({"method": "percent", "segment": "ALL", "assumption": name, "change": change,
                         "delta": (i + 1) * 10 * np.sign(change), "base_mql_goal": 100.0})
    rows.append({"method": "interval", "segment": "ALL", "assumption": "z", "change": 0.1, "delta": 1e6,
                 "base_mql_goal": 100.0})
    table = top_drivers(pd.DataFrame(rows), n=3)
    assert table["assumption"].tolist() == ["g", "f", "e"]
    assert table["+10% moves the MQL goal by"].tolist() == [70.0, 60.0, 50.0]
    assert table.attrs["base"] == 100.0 and "base" not in table.columns
    zero = pd.DataFrame(rows).assign(delta=0.0)
    assert top_drivers(zero).empty


def test_report_currency_setting():
    from revops.config import build_config

    assert build_config({}).report.currency is None
    assert build_config({"report": {"currency": "EUR"}}).report.currency == "EUR"
    with pytest.raises(ValueError, match="report.currency"):
        build_config({"report": {"currency": "US Dollar"}})
    with pytest.raises(ValueError, match="report.colour"):
        build_config({"report": {"colour": "blue"}})
    assert issubclass(ValidationError, ValueError)
