"""One parsing layer for every value read from an export: numbers, money, percentages, dates,
periods, yes/no flags and placeholders, plus row numbering and one problem shape.

A leaf package (numpy, pandas and the standard library only) that every part of revops may
import. Functions take a column (a pandas Series, a numpy array or a list) and read it *whole*:
the decimal separator and the day/month order are decided per column from all its values
(:func:`read_numbers`, :func:`read_dates`), with what the rest of the file told as a fallback
(:func:`told_by`), and never mixed within one column. Nothing here raises for bad data: a
reading says which rows are missing, bad, ambiguous or mixed, and the caller words the problem
(:class:`InputProblem`).
"""
from parsing.conventions import Conventions, agreed, told_by
from parsing.dates import ORDER_WORDS, ORDERS, DateOrder, DateReading, read_dates
from parsing.errors import InputError, InputProblem, found_values
from parsing.numbers import DECIMALS, Decimal, NumberReading, number_value, read_numbers, read_token
from parsing.periods import PeriodReading, read_periods
from parsing.rows import ROW_NOTE, rows_text, spreadsheet_rows
from parsing.tokens import (BOOL_TOKENS, FALSE_TOKENS, PLACEHOLDERS, TRUE_TOKENS, clean_token,
                            flag_value, is_placeholder, missing_mask, read_flags)

__all__ = [
    "BOOL_TOKENS", "Conventions", "DECIMALS", "DateOrder", "DateReading", "Decimal", "FALSE_TOKENS",
    "InputError", "InputProblem", "NumberReading", "ORDERS", "ORDER_WORDS", "PLACEHOLDERS",
    "PeriodReading", "ROW_NOTE", "TRUE_TOKENS", "agreed", "clean_token", "flag_value",
    "found_values", "is_placeholder", "missing_mask", "number_value", "read_dates", "read_flags",
    "read_numbers", "read_periods", "read_token", "rows_text", "spreadsheet_rows", "told_by",
]
