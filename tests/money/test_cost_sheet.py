"""Reading a returned template: prices as sellers write them, and the bounds on a file."""

from __future__ import annotations

import pytest

from bot.money import cost_sheet
from bot.money.cost_sheet import SheetError, parse_kopecks, read_sheet
from tests.money.conftest import HEADER, workbook

NAMES = {"nm_id": [HEADER[0]], "cost": [HEADER[4]], "size": [HEADER[2]]}


@pytest.mark.parametrize(
    ("written", "kopecks"),
    [
        (450, 45_000),
        (450.5, 45_050),
        ("1 250,50", 125_050),
        ("1\u00a0250.5 ₽", 125_050),
        ("99,999", 10_000),  # rounded half up to the kopeck
        ("0", 0),
        ("−10", -1_000),  # a minus sign is read, so a negative cost is told as such
        ("1,234.50", None),
        ("abc", None),
        ("", None),
        (True, None),
        (float("nan"), None),
        (float("inf"), None),
    ],
)
def test_prices_as_sellers_write_them(written, kopecks):
    assert parse_kopecks(written) == kopecks


def test_blank_rows_are_skipped_and_row_numbers_are_excels():
    data = workbook([[11, "", "", "", 5, None], [None] * 6, [22, "", "XL", "", None, None]])
    rows = read_sheet(data, NAMES)
    assert [(r.number, r.values) for r in rows] == [
        (2, {"nm_id": 11, "size": None, "cost": 5}),
        (4, {"nm_id": 22, "size": "XL", "cost": None}),
    ]


def test_more_rows_than_the_bound_are_refused(monkeypatch):
    monkeypatch.setattr(cost_sheet, "MAX_ROWS", 3)
    read_sheet(workbook([[n, "", "", "", 1, None] for n in range(1, 4)]), NAMES)
    with pytest.raises(SheetError) as error:
        read_sheet(workbook([[n, "", "", "", 1, None] for n in range(1, 5)]), NAMES)
    assert error.value.reason == "rows"
