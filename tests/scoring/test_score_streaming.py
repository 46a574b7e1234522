"""``revops score predict`` streams: chunked reading and writing give the whole-file run's bytes,
and a later chunk that contradicts the first chunk's decisions is refused, with its rows."""
import joblib
import numpy as np
import pandas as pd
import pytest

from revops.cli import main
from revops.streaming import iter_input_chunks
from scoring import LeadScorer, ScoringConfig
from scoring.synthetic import make_leads


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    leads, _ = make_leads(600, seed=4)
    scorer = LeadScorer.from_config(ScoringConfig(candidates=("logistic_regression",), threads=1),
                                    random_state=0).fit(leads)
    path = tmp_path_factory.mktemp("model") / "scorer.joblib"
    joblib.dump(scorer, path)
    return path


@pytest.fixture(scope="module")
def new_leads():
    leads, _ = make_leads(1_000, seed=11)
    leads = leads.drop(columns=["is_sql"])
    # an amount written with decimals, a missing stretch, as exports have them
    leads["budget"] = np.round(np.random.default_rng(1).gamma(2, 1_000, len(leads)), 2)
    leads.loc[500:520, "budget"] = np.nan
    return leads


def predict(leads_path, out, model_file, *extra):
    return main(["score", "predict", "--leads", str(leads_path), "--out", str(out),
                 "--model", str(model_file), "--quiet", *extra])


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_chunked_output_is_byte_identical_to_the_whole_file_run(tmp_path, model_file, new_leads,
                                                                suffix):
    path = tmp_path / f"leads{suffix}"
    if suffix == ".parquet":  # mixed text columns ('N/A' among numbers) as text, as Arrow needs
        text = {c: "string" for c in new_leads.columns if new_leads[c].dtype == object}
        new_leads.astype(text).to_parquet(path, index=False, row_group_size=150)
    else:
        new_leads.to_csv(path, index=False)
    assert predict(path, tmp_path / "whole.csv", model_file, "--chunk-rows", "0") == 0
    assert predict(path, tmp_path / "chunks.csv", model_file, "--chunk-rows", "97") == 0
    whole = (tmp_path / "whole.csv").read_bytes()
    assert whole == (tmp_path / "chunks.csv").read_bytes()
    scores = pd.read_csv(tmp_path / "whole.csv")
    assert len(scores) == 1_000 and scores["lead_id"].tolist() == new_leads["lead_id"].tolist()
    assert not list(tmp_path.glob(".*partial"))


def test_ids_are_numbered_across_chunks_when_the_file_has_none(tmp_path, model_file, new_leads):
    path = tmp_path / "no_ids.csv"
    new_leads.drop(columns=["lead_id"]).to_csv(path, index=False)
    assert predict(path, tmp_path / "whole.csv", model_file, "--chunk-rows", "0") == 0
    assert predict(path, tmp_path / "chunks.csv", model_file, "--chunk-rows", "300") == 0
    assert (tmp_path / "whole.csv").read_bytes() == (tmp_path / "chunks.csv").read_bytes()
    assert pd.read_csv(tmp_path / "chunks.csv")["lead_id"].tolist() == list(range(1, 1_001))


def test_decisions_hold_across_chunks_of_a_european_file(tmp_path):
    # decimal comma told by the first chunk ("1.234,5"), dates day first ("31/12/2025")
    rows = 40
    frame = pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(rows)],
        "budget": [f"{1 + i % 9}.{i:03d},5" if i % 3 else f"{i},25" for i in range(rows)],
        "created": [f"{13 + i % 15:02d}/0{1 + i % 9}/2025" for i in range(rows)],
    })
    path = tmp_path / "eu.csv"
    frame.to_csv(path, index=False, sep=";")
    whole = pd.concat(list(iter_input_chunks(path, chunk_rows=1_000)), ignore_index=True)
    chunked = pd.concat(list(iter_input_chunks(path, chunk_rows=7)), ignore_index=True)
    pd.testing.assert_frame_equal(whole, chunked)
    assert whole["budget"].iloc[1] == 2001.5 and whole["budget"].iloc[0] == 0.25
    assert whole["created"].iloc[0] == pd.Timestamp("2025-01-13")


def test_a_later_chunk_contradicting_the_first_is_refused_with_its_rows(tmp_path, model_file,
                                                                       new_leads, capsys):
    leads = new_leads.copy()
    leads["pages_viewed"] = leads["pages_viewed"].astype(object)
    leads.loc[850, "pages_viewed"] = "many"  # text far below whole numbers
    path = tmp_path / "leads.csv"
    leads.to_csv(path, index=False)
    out = tmp_path / "scores.csv"
    assert predict(path, out, model_file, "--chunk-rows", "400") == 2
    err = capsys.readouterr().err
    assert "column 'pages_viewed': 1 value(s) that are not whole numbers, in a column the first " \
           "chunk read as whole numbers (row 852" in err
    assert "found 'many'" in err and "larger --chunk-rows" in err
    assert not out.exists() and not list(tmp_path.glob(".*partial"))


def test_a_decimal_separator_changing_below_the_first_chunk_is_refused(tmp_path):
    budget = ["1.5", "2.25", "3.75"] * 4 + ["4,5"]  # decimal points, then a decimal comma
    path = tmp_path / "mixed.csv"
    pd.DataFrame({"lead_id": range(len(budget)), "budget": budget}).to_csv(path, index=False)
    from revops.contracts import DataContractError

    with pytest.raises(DataContractError, match=r"column 'budget'.*\(row 14\)"):
        list(iter_input_chunks(path, chunk_rows=5))


def test_blanks_below_the_first_chunk_are_missing_values_not_contradictions(tmp_path, model_file,
                                                                            new_leads):
    """A whole-number or yes/no column with no blank in the first chunk may have blanks further
    down (an unlabelled tail, a field added later): streamed, they score as the whole file does."""
    leads = new_leads.copy()
    leads["pages_viewed"] = leads["pages_viewed"].astype(object)
    leads.loc[600:, ["pages_viewed", "demo_requested"]] = None
    path = tmp_path / "blanks.csv"
    leads.to_csv(path, index=False)
    first = next(iter_input_chunks(path, chunk_rows=97))  # the first chunk types them as pandas does
    assert first["pages_viewed"].dtype.kind == "i" and first["demo_requested"].dtype == bool
    assert predict(path, tmp_path / "whole.csv", model_file, "--chunk-rows", "0") == 0
    assert predict(path, tmp_path / "chunks.csv", model_file, "--chunk-rows", "97") == 0
    assert (tmp_path / "whole.csv").read_bytes() == (tmp_path / "chunks.csv").read_bytes()
