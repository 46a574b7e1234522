"""Files as exports come: Excel workbooks, UTF-16/32 with a byte-order mark, gzip, cp1252, and the
errors for what cannot be read. Each file is made here, from the same small table as text."""
from __future__ import annotations

import codecs
import datetime as dt
import gzip
import io
import warnings
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pandas.api.types import infer_dtype

from revops.contracts import DataContractError, validate
from revops.io import (MISSING_MARKERS, SAMPLE_BYTES, InputFileError, find_table, read_table)

OPPORTUNITIES = (
    "opportunity_id,account_id,segment,created_at,stage,amount,close_date,is_won\n"
    "O1,1001,SMB,2026-01-05,Closed Won,1200.5,2026-02-10,true\n"
    "O2,1002,Mid-Market,2026-01-13,Proposal,3500,2026-03-31,\n"
    "O3,1003,SMB,2026-02-01 14:05:00,Closed Lost,0.3,2026-02-28,false\n"
)
# The same rows as Excel holds them: numbers, dates and booleans typed, an empty cell for None.
# 0.1 + 0.2 is what a formula leaves in a cell that shows 0.3.
OPPORTUNITY_CELLS = [
    ["opportunity_id", "account_id", "segment", "created_at", "stage", "amount", "close_date", "is_won"],
    ["O1", 1001, "SMB", dt.date(2026, 1, 5), "Closed Won", 1200.5, dt.date(2026, 2, 10), True],
    ["O2", 1002, "Mid-Market", dt.date(2026, 1, 13), "Proposal", 3500, dt.date(2026, 3, 31), None],
    ["O3", 1003, "SMB", dt.datetime(2026, 2, 1, 14, 5), "Closed Lost", 0.1 + 0.2, dt.date(2026, 2, 28), False],
]
TARGETS = "segment,period,target\nSMB,2027-01,100\nNA,2027Q2,50.5\n"


def write_workbook(path: Path, sheets: dict[str, list[list[object]]], hidden: tuple[str, ...] = ()) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    workbook.save(path)
    return path


def plain_csv(tmp_path: Path, text: str = OPPORTUNITIES, name: str = "plain.csv") -> pd.DataFrame:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_table(path)


# --- Excel ------------------------------------------------------------------------------------

def test_xlsx_cells_mean_what_the_csv_text_means(tmp_path: Path):
    path = write_workbook(tmp_path / "opportunities.xlsx", {"Opportunities": OPPORTUNITY_CELLS})
    from_excel = validate("opportunities", read_table(path))
    from_csv = validate("opportunities", plain_csv(tmp_path))
    pd.testing.assert_frame_equal(from_excel, from_csv)
    assert from_excel["amount"].tolist() == [1200.5, 3500.0, 0.3]
    assert from_excel["created_at"].iloc[2] == pd.Timestamp("2026-02-01 14:05")
    assert from_excel["account_id"].tolist() == ["1001", "1002", "1003"]


def test_xlsx_date_cells_among_text_become_iso_text(tmp_path: Path):
    # Excel typed the first date and kept the second as text; the contract then reads both,
    # the ISO one in any order, the text one day-first (31 is a day).
    rows = [list(r) for r in OPPORTUNITY_CELLS]
    rows[2][6] = "31/03/2026"
    frame = read_table(write_workbook(tmp_path / "o.xlsx", {"o": rows}))
    assert frame["close_date"].tolist() == ["2026-02-10", "31/03/2026", "2026-02-28"]
    assert frame["created_at"].dtype.kind == "M"  # a column of dates stays dates
    checked = validate("opportunities", frame)
    assert checked["close_date"].tolist() == [pd.Timestamp(d) for d in ("2026-02-10", "2026-03-31", "2026-02-28")]


def test_xlsx_period_typed_as_a_date_and_na_region_kept(tmp_path: Path):
    cells = [["segment", "period", "target"], ["SMB", dt.date(2027, 1, 1), 100], ["NA", "2027Q2", 50.5]]
    from_excel = validate("targets", read_table(write_workbook(tmp_path / "targets.xlsx", {"t": cells})))
    from_csv = validate("targets", plain_csv(tmp_path, TARGETS))
    pd.testing.assert_frame_equal(from_excel, from_csv)
    assert from_excel["period"].tolist() == ["2027-01", "2027Q2"]
    assert from_excel["segment"].tolist() == ["SMB", "NA"]


def test_first_visible_sheet_unless_one_is_named(tmp_path: Path):
    other = [["segment", "period", "target"], ["SMB", "2027Q1", 1]]
    path = write_workbook(tmp_path / "book.xlsm",
                          {"Notes": [["read me"]], "Opps": OPPORTUNITY_CELLS, "Targets": other},
                          hidden=("Notes",))
    assert list(read_table(path).columns)[0] == "opportunity_id"
    assert list(read_table(path, sheet="Targets").columns) == ["segment", "period", "target"]
    assert list(read_table(path, sheet=" targets ").columns)[0] == "segment"  # case and spacing
    with pytest.raises(InputFileError) as error:
        read_table(path, sheet="Leads")
    message = str(error.value)
    assert "book.xlsm: no sheet named 'Leads'; the workbook's sheets are 'Notes', 'Opps', 'Targets'" in message
    assert "sheet = " in message


def test_find_table_finds_workbooks_and_gzip_and_refuses_two(tmp_path: Path):
    write_workbook(tmp_path / "leads.xlsx", {"s": [["lead_id"], ["L1"]]})
    assert find_table(tmp_path, "leads") == tmp_path / "leads.xlsx"
    (tmp_path / "reps.csv.gz").write_bytes(gzip.compress(b"rep_id\nR1\n"))
    assert find_table(tmp_path, "reps") == tmp_path / "reps.csv.gz"
    (tmp_path / "leads.csv").write_text("lead_id\nL1\n")
    with pytest.raises(InputFileError, match=r"table 'leads' is given twice \(leads.csv, leads.xlsx\)"):
        find_table(tmp_path, "leads")


def test_a_workbook_named_csv_is_read_as_a_workbook(tmp_path: Path):
    path = write_workbook(tmp_path / "opportunities.csv", {"o": OPPORTUNITY_CELLS})
    pd.testing.assert_frame_equal(validate("opportunities", read_table(path)),
                                  validate("opportunities", plain_csv(tmp_path)))


def test_old_and_protected_workbooks_and_archives_are_named(tmp_path: Path):
    ole = tmp_path / "accounts.csv"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(InputFileError, match=r"accounts.csv: an Excel 97-2003 workbook .* Save it from Excel as .xlsx"):
        read_table(ole)
    archive = tmp_path / "leads.csv"
    import zipfile
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("leads.csv", "lead_id\nL1\n")
    with pytest.raises(InputFileError, match="leads.csv: a zip archive, not a table.*Unzip it"):
        read_table(archive)
    broken = tmp_path / "reps.xlsx"
    broken.write_bytes(b"not a workbook at all")
    with pytest.raises(InputFileError, match="reps.xlsx: not a readable Excel workbook"):
        read_table(broken)


# --- encodings --------------------------------------------------------------------------------

@pytest.mark.parametrize("bom, codec", [
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
])
@pytest.mark.parametrize("name", ["opportunities.txt", "opportunities.csv"])
def test_unicode_text_with_a_byte_order_mark_reads_as_the_utf8_csv(tmp_path: Path, bom: bytes, codec: str,
                                                                    name: str):
    # Excel's "Unicode Text": UTF-16 LE, a byte-order mark, tabs; whatever the extension.
    path = tmp_path / name
    path.write_bytes(bom + OPPORTUNITIES.replace(",", "\t").replace("\n", "\r\n").encode(codec))
    pd.testing.assert_frame_equal(read_table(path), plain_csv(tmp_path))


def test_a_byte_order_mark_wins_over_the_encoding_setting(tmp_path: Path):
    path = tmp_path / "opportunities.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + OPPORTUNITIES.encode("utf-16-le"))
    pd.testing.assert_frame_equal(read_table(path, encoding="cp1252"), plain_csv(tmp_path))


def test_utf16_without_a_byte_order_mark_names_the_setting(tmp_path: Path):
    path = tmp_path / "opportunities.txt"
    path.write_bytes(OPPORTUNITIES.replace(",", "\t").encode("utf-16-le"))
    with pytest.raises(InputFileError) as error:
        read_table(path)
    message = str(error.value)
    assert "opportunities.txt: looks like UTF-16 text without a byte-order mark" in message
    assert 'set encoding under [data] in the plan file' in message
    assert "[data.per_table.opportunities]" in message and 'encoding = "utf-16-le"' in message
    assert "O1" not in message  # no file contents beyond the header names
    pd.testing.assert_frame_equal(read_table(path, encoding="utf-16-le"), plain_csv(tmp_path))


def test_cp1252_with_euro_and_accents(tmp_path: Path):
    text = "account_id;segment;region;potential;workload;owner_rep_id\nA1;Mid-Market;EMEA;€ 1200;1;Zoë\nA2;SMB;NA;50 €;2;Renée\n"
    path = tmp_path / "accounts.csv"
    path.write_bytes(text.encode("cp1252"))
    frame = read_table(path)
    assert frame["owner_rep_id"].tolist() == ["Zoë", "Renée"]
    assert frame["potential"].tolist() == ["€ 1200", "50 €"]
    assert validate("accounts", frame)["potential"].tolist() == [1200.0, 50.0]


def _long_file(tmp_path: Path, late_bytes: bytes) -> Path:
    """A file whose first SAMPLE_BYTES are plain ASCII, with ``late_bytes`` in a row past them."""
    rows = [b"lead_id,country"] + [b"L%06d,France" % i for i in range(SAMPLE_BYTES // 14 + 100)]
    rows.append(b"L999999," + late_bytes)
    path = tmp_path / "leads.csv"
    path.write_bytes(b"\r\n".join(rows) + b"\r\n")
    assert path.stat().st_size > SAMPLE_BYTES
    return path


def test_cp1252_past_the_sample_is_read_as_cp1252(tmp_path: Path):
    path = _long_file(tmp_path, "Côte d'Ivoire €".encode("cp1252"))
    assert read_table(path)["country"].iloc[-1] == "Côte d'Ivoire €"


def test_utf8_past_the_sample_is_read_as_utf8(tmp_path: Path):
    path = _long_file(tmp_path, "Côte d'Ivoire €".encode("utf-8"))
    assert read_table(path)["country"].iloc[-1] == "Côte d'Ivoire €"


def test_a_byte_undefined_in_cp1252_falls_back_to_latin1(tmp_path: Path):
    path = _long_file(tmp_path, b"Sa\x81o Tom\xe9")  # 0x81: no cp1252 character
    assert read_table(path)["country"].iloc[-1] == "Sa\x81o Tomé"


def test_the_encoding_setting_wins_without_a_mark(tmp_path: Path):
    path = tmp_path / "accounts.csv"
    path.write_bytes("account_id,owner_rep_id\nA1,Renée\n".encode("utf-8"))
    assert read_table(path)["owner_rep_id"].tolist() == ["Renée"]
    assert read_table(path, encoding="cp1252")["owner_rep_id"].tolist() == ["RenÃ©e"]


def test_a_wrong_encoding_setting_is_named_without_echoing_values(tmp_path: Path):
    path = tmp_path / "accounts.csv"
    path.write_bytes("account_id,owner_rep_id\nA1,Renée-secret\n".encode("cp1252"))
    with pytest.raises(InputFileError) as error:
        read_table(path, encoding="utf-8")
    message = str(error.value)
    assert "accounts.csv: cannot be read as utf-8 (as set)" in message
    assert "[data.per_table.accounts]" in message and "remove the setting" in message
    assert "secret" not in message
    with pytest.raises(InputFileError, match=r"unknown encoding 'klingon'.*--encoding"):
        read_table(path, encoding="klingon")


# --- gzip, delimiters, empty and header-only files -------------------------------------------------

def test_gzip_by_name_and_by_magic_bytes(tmp_path: Path):
    expected = plain_csv(tmp_path)
    for name in ("opportunities.csv.gz", "opportunities.csv"):
        path = tmp_path / name
        path.write_bytes(gzip.compress(OPPORTUNITIES.encode("utf-8")))
        pd.testing.assert_frame_equal(read_table(path), expected)
    unicode_text = tmp_path / "opportunities.tsv.gz"
    unicode_text.write_bytes(gzip.compress(codecs.BOM_UTF16_LE + OPPORTUNITIES.replace(",", "\t").encode("utf-16-le")))
    pd.testing.assert_frame_equal(read_table(unicode_text), expected)
    broken = tmp_path / "leads.csv.gz"
    broken.write_bytes(gzip.compress(b"lead_id\nL1\n" * 100)[:40])
    with pytest.raises(InputFileError, match="leads.csv.gz: a damaged gzip file"):
        read_table(broken)


def test_the_delimiter_setting_wins(tmp_path: Path):
    path = tmp_path / "targets.csv"
    path.write_text("segment;period,quarter;target\nSMB;2027Q1;100\n")
    assert list(read_table(path, delimiter=";").columns) == ["segment", "period,quarter", "target"]


def test_header_only_is_no_rows_not_a_contract_error(tmp_path: Path):
    for path in (tmp_path / "leads.csv", tmp_path / "leads.xlsx"):
        if path.suffix == ".csv":
            path.write_text("lead_id,created_at,is_sql\n")
        else:
            write_workbook(path, {"Leads": [["lead_id", "created_at", "is_sql"]]})
        with pytest.raises(InputFileError) as error:
            read_table(path)
        assert not isinstance(error.value, DataContractError)
        assert (f"{path.name}: the file has no rows, only a header ('lead_id', 'created_at', 'is_sql'); "
                "expected at least one row under the header") in str(error.value)


def test_empty_files_and_sheets(tmp_path: Path):
    for name, data in (("a.csv", b""), ("b.csv", codecs.BOM_UTF16_LE + "\r\n".encode("utf-16-le")),
                       ("c.csv.gz", gzip.compress(b"  \n"))):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(InputFileError, match=rf"{name}: the file is empty"):
            read_table(tmp_path / name)
    path = write_workbook(tmp_path / "d.xlsx", {"Blank": []})
    with pytest.raises(InputFileError, match=r"d.xlsx: sheet 'Blank' is empty.*sheets: 'Blank'"):
        read_table(path)


# --- streaming gives the whole-file reading ------------------------------------------------------

def test_a_column_that_turns_to_text_late_reads_as_a_whole_file_read(tmp_path: Path):
    # pandas reads a wide file in blocks of a few thousand rows and infers each block apart:
    # numbers early and text late come out mixed (123 and "A-7"; "0123" as 123).
    width, rows = 256, 6000
    lines = [",".join(["account_id", "flag", "flag"] + [f"c{i}" for i in range(width - 3)])]
    for r in range(rows):
        late = r >= rows - 100
        lines.append(",".join([("0123" if r % 2 else "A-7") if late else str(r),
                               "1" if late else "True", "x"] + ["1"] * (width - 3)))
    path = tmp_path / "accounts.csv"
    path.write_text("\n".join(lines) + "\n")
    options = dict(keep_default_na=False, na_values=MISSING_MARKERS, skipinitialspace=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)
        blocks = pd.read_csv(path, low_memory=True, **options)
    assert infer_dtype(blocks["account_id"]) == "mixed-integer"  # the case is exercised
    whole = pd.read_csv(io.StringIO(path.read_text()), low_memory=False, **options)
    frame = read_table(path)
    pd.testing.assert_frame_equal(frame, whole)
    assert frame["account_id"].iloc[-1] == "0123" and frame["account_id"].iloc[0] == "0"
    assert list(frame.columns[:3]) == ["account_id", "flag", "flag.1"]
