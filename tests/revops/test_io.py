"""Real exports: byte-order marks, Latin-1 from Excel, semicolons, 'NA' meaning North America."""
from pathlib import Path

import pytest

from revops.contracts import validate
from revops.io import InputFileError, find_table, read_table

ACCOUNTS = "account_id,segment,region,potential,workload,owner_rep_id\nA1,SMB,NA,100,1,R1\nA2,SMB,EMEA,50,2,\n"


def test_utf8_bom_header_is_clean(tmp_path: Path):
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ACCOUNTS.encode())
    frame = read_table(path)
    assert list(frame.columns)[0] == "account_id"
    assert validate("accounts", frame)["account_id"].tolist() == ["A1", "A2"]


def test_latin1_excel_export_with_semicolons(tmp_path: Path):
    text = "account_id;segment;region;potential;workload;owner_rep_id\nA1;Mid-Market;EMEA;1200,50;1;Zoë\n"
    path = tmp_path / "accounts.csv"
    path.write_bytes(text.encode("cp1252"))
    frame = validate("accounts", read_table(path))
    assert frame.loc[0, "owner_rep_id"] == "Zoë"
    assert frame.loc[0, "potential"] == pytest.approx(1200.5)


def test_tab_and_pipe_delimiters(tmp_path: Path):
    for sep in ("\t", "|"):
        path = tmp_path / "accounts.csv"
        path.write_text(ACCOUNTS.replace(",", sep))
        assert validate("accounts", read_table(path))["potential"].tolist() == [100.0, 50.0]


def test_na_region_is_north_america_not_missing(tmp_path: Path):
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS)
    assert validate("accounts", read_table(path))["region"].tolist() == ["NA", "EMEA"]


def test_parquet(tmp_path: Path):
    import pandas as pd

    frame = pd.read_csv(__import__("io").StringIO(ACCOUNTS), keep_default_na=False)
    frame.to_parquet(tmp_path / "accounts.parquet")
    assert find_table(tmp_path, "accounts").suffix == ".parquet"
    assert validate("accounts", read_table(tmp_path / "accounts.parquet"))["workload"].sum() == 3


def test_empty_file_is_an_error(tmp_path: Path):
    path = tmp_path / "leads.csv"
    path.write_text("")
    with pytest.raises(InputFileError, match=r"leads.csv: the file is empty"):
        read_table(path)


def test_two_files_for_one_table(tmp_path: Path):
    (tmp_path / "reps.csv").write_text("rep_id\n")
    (tmp_path / "reps.parquet").write_text("")
    with pytest.raises(InputFileError, match="given twice"):
        find_table(tmp_path, "reps")
