"""Fields nobody asked for are flagged; a known field under another spelling is used (issue 14)."""
from __future__ import annotations

import numpy as np

from scoring.service.hotpath import RecordEncoder, field_key

from service_support import as_records


def test_field_key_ignores_case_and_spacing():
    assert field_key("Lead Source") == field_key("leadsource") == field_key("LEAD-SOURCE") == "leadsource"


def test_a_field_under_another_spelling_is_used(scorers, lead_frame):
    encoder = RecordEncoder(scorers["logistic_regression"].encoder_)
    [lead] = as_records(lead_frame.head(1))
    expected, [plain_flags], _ = encoder.encode([lead])
    for spelling in ("Lead Source", "leadsource", "LEAD_SOURCE"):
        other = {(spelling if k == "lead_source" else k): v for k, v in lead.items()}
        X, [flags], _ = encoder.encode([other])
        np.testing.assert_array_equal(X, expected)
        assert flags == plain_flags


def test_unknown_fields_are_flagged_on_both_paths(scorers, lead_frame):
    encoder = RecordEncoder(scorers["logistic_regression"].encoder_)
    leads = as_records(lead_frame.head(40))  # 40 leads: the column-wise path
    plain, _, _ = encoder.encode(leads)
    leads[3] = {**leads[3], "favourite_colour": "teal"}
    for n in (40, 4):  # and a small batch: the lead-by-lead path
        X, flags, _ = encoder.encode(leads[:n])
        np.testing.assert_array_equal(X, plain[:n])
        assert flags[3][0] == "unknown_field:favourite_colour"
        assert not any(f.startswith("unknown_field:") for i, lead in enumerate(flags) if i != 3 for f in lead)


def test_the_own_name_wins_over_another_spelling(scorers, lead_frame):
    encoder = RecordEncoder(scorers["logistic_regression"].encoder_)
    [lead] = as_records(lead_frame.head(1))
    expected, _, _ = encoder.encode([lead])
    X, [flags], _ = encoder.encode([{**lead, "Lead Source": "Nonsense"}])
    np.testing.assert_array_equal(X, expected)
    assert "unknown_field:Lead Source" in flags
