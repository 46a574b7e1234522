"""Re-save a CRM folder the way European, UK and Excel users export it (for the tests).

Every value is kept exactly: money with two decimals (the sample's amounts have at most two),
other numbers with the digits they had, dates with their time when they had one. Only the way
the values are written changes.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

TABLES = ("leads", "opportunities", "accounts", "reps", "targets")
MONEY = {"amount", "potential", "target"}
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
STAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})( (\d{2}):(\d{2}):(\d{2}))?$")


def _kinds(frame: pd.DataFrame) -> dict[str, str]:
    kinds = {}
    for name in frame.columns:
        present = frame[name][frame[name] != ""]
        if present.empty:
            continue
        if name in MONEY:
            kinds[name] = "money"
        elif present.str.fullmatch(NUMBER).all():
            kinds[name] = "number"
        elif present.str.fullmatch(STAMP).all():
            kinds[name] = "date"
    return kinds


def _group(digits: str, sep: str) -> str:
    head = len(digits) % 3 or 3
    return digits[:head] + "".join(sep + digits[i:i + 3] for i in range(head, len(digits), 3))


def number_text(text: str, *, decimal: str, thousands: str, money: bool = False,
                cents: bool = True, group_whole: bool = False) -> str:
    """``12345.6`` -> ``12.345,60`` (money, European) or ``12,345.6`` (UK), exactly the value;
    ``cents=False``: whole amounts without decimals (``7.950``), as a currency format with no
    decimal places writes them."""
    if text == "":
        return ""
    sign, body = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, fraction = body.partition(".")
    if money:
        assert len(fraction.rstrip("0")) <= 2, f"{text}: money with more than two decimals"
        fraction = (fraction + "00")[:2] if cents or fraction.strip("0") else ""
    elif not fraction and not group_whole:
        thousands = ""  # Excel's "General" format: whole numbers without grouping
    whole = _group(whole, thousands) if thousands else whole
    return sign + whole + (decimal + fraction if fraction else "")


def date_text(text: str, layout: str) -> str:
    """``2024-01-31 10:05:09`` -> ``31.01.2024 10:05:09`` (``dmy.``), ``31/01/2024 ...``
    (``dmy/``) or ``1/31/2024 10:05:09`` (``mdy``, Excel US without leading zeros)."""
    if text == "":
        return ""
    y, m, d, time = STAMP.fullmatch(text).group(1, 2, 3, 4)
    time = time or ""
    if layout == "dmy.":
        return f"{d}.{m}.{y}{time}"
    if layout == "dmy/":
        return f"{d}/{m}/{y}{time}"
    return f"{int(m)}/{int(d)}/{y}{time}"


def _originals(source: Path):
    for table in TABLES:
        path = source / f"{table}.csv"
        if path.exists():
            yield table, pd.read_csv(path, dtype=str, keep_default_na=False)


def european(source: Path, out: Path, *, group_whole: bool = False) -> Path:
    """Excel (German): ``;``, decimal comma, ``.`` thousands, ``dd.mm.yyyy``, ``€`` after
    amounts (whole amounts without decimals: ``7.950 €``, which alone could be 7.95), TRUE/FALSE
    as WAHR/FALSCH, cp1252. Whole numbers are written as Excel's "General" format writes them
    (``6000``), or with ``group_whole`` as a CRM's formatted export does (``6.000``)."""
    out.mkdir(parents=True, exist_ok=True)
    for table, frame in _originals(source):
        for name, kind in _kinds(frame).items():
            if kind == "date":
                frame[name] = frame[name].map(lambda t: date_text(t, "dmy."))
            else:
                money = kind == "money"
                frame[name] = frame[name].map(lambda t: number_text(t, decimal=",", thousands=".", money=money,
                                                                    cents=False, group_whole=group_whole)
                                              + (" €" if money and t else ""))
        if "locked" in frame:
            frame["locked"] = frame["locked"].map({"true": "WAHR", "false": "FALSCH"}).fillna("")
        frame.to_csv(out / f"{table}.csv", sep=";", index=False, encoding="cp1252", lineterminator="\r\n")
    return out


def uk(source: Path, out: Path) -> Path:
    """A UK export: ``dd/mm/yyyy``, ``£`` before amounts, ``,`` thousands in every number
    (``6,000`` employees, which alone could be 6)."""
    out.mkdir(parents=True, exist_ok=True)
    for table, frame in _originals(source):
        for name, kind in _kinds(frame).items():
            if kind == "date":
                frame[name] = frame[name].map(lambda t: date_text(t, "dmy/"))
            else:
                money = kind == "money"
                frame[name] = frame[name].map(lambda t: ("£" if money and t else "")
                                              + number_text(t, decimal=".", thousands=",", money=money,
                                                            group_whole=True))
        frame.to_csv(out / f"{table}.csv", index=False, encoding="utf-8", lineterminator="\n")
    return out


def unicode_text(source: Path, out: Path) -> Path:
    """Excel's "Unicode Text": UTF-16 with a byte-order mark, tab-separated, US dates
    (m/d/yyyy), saved as ``.txt``."""
    out.mkdir(parents=True, exist_ok=True)
    for table, frame in _originals(source):
        for name, kind in _kinds(frame).items():
            if kind == "date":
                frame[name] = frame[name].map(lambda t: date_text(t, "mdy"))
        frame.to_csv(out / f"{table}.txt", sep="\t", index=False, encoding="utf-16", lineterminator="\r\n")
    return out


def workbooks(source: Path, out: Path) -> Path:
    """One ``.xlsx`` workbook per table: numbers as numbers, dates as dates, empty cells empty."""
    out.mkdir(parents=True, exist_ok=True)
    for table, frame in _originals(source):
        typed = frame.astype(object).where(frame != "", None)
        for name, kind in _kinds(frame).items():
            if kind == "date":
                typed[name] = pd.to_datetime(frame[name].replace("", None)).astype(object)
                typed[name] = typed[name].where(frame[name] != "", None)
            else:
                typed[name] = pd.to_numeric(frame[name].replace("", None)).astype(object)
                typed[name] = typed[name].where(frame[name] != "", None)
        typed.to_excel(out / f"{table}.xlsx", index=False, sheet_name=table)
    return out
