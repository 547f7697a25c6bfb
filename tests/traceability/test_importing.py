"""Row parsing of the import (no database): the fast path for common rows gives exactly what the full path gives."""
from datetime import date

import pytest

from apps.traceability.importing import UnitRowParser, map_header, parse_unit_row

from .factories import cascade_code, gbt_code

HEADER = ["code", "scheme", "level", "parent_code", "model_code", "status", "manufacture_date", "original_code",
          "mass_kg", "gtin", "serial"]
TODAY = date(2026, 6, 1)
P, M = gbt_code("P", 1), gbt_code("M", 2)


@pytest.mark.parametrize("row", [
    [P, "", "pack", "", "EV-1", "", "2024-03-15", "", "412.5", "", ""],
    [f"  {P.lower()} ", "GBT34014", "P", "", "", "Original", "", "", "", "", ""],
    [M, "", "模组", P.lower(), "", "梯次利用", "", "", "", "", ""],
    [M, "", "module", P, "", "waste", "2024-3-5", "", "", "", ""],            # short date: full path
    [M, "", "module", P, "", "", "2027-01-01", "", "", "", ""],               # future date: refused
    [M, "", "module", P, "", "", "2024-02-30", "", "", "", ""],               # not a date
    [M, "", "pack", "", "", "", "", "", "", "", ""],                          # level mismatch
    [gbt_code("P", 0), "", "pack", "", "", "", "", "", "", "", ""],           # zero serial: warning
    ["X12PEPM27KLPCLX2M238232A", "", "pack", "", "", "", "", "", "", "", ""],  # letters in serial: warning
    [cascade_code("M", 1), "", "module", "", "", "repurposed", "", M, "", "", ""],
    [M, "", "module", cascade_code("P", 3), "", "", "", "", "", "", ""],      # cascade parent
    [M, "", "module", "", "", "", "", "", "1,5", "", ""],                      # bad number
    [M, "", "module", "", "", "", "", "", "=1+1", "", ""],                     # formula
    [M, "", "module", "", "x" * 65, "", "", "", "", "", ""],                  # model code too long
    [M, "gs1", "module", "", "", "", "", "", "", "", ""],                      # wrong scheme
    ["", "", "", "", "", "", "", "", "", "", ""],                              # blank row
    [M, "", "module", "", "", "old", "", "", "", "", ""],                      # unknown status
])
def test_fast_path_and_full_path_agree(row):
    index, _issues = map_header("units", HEADER)
    fast = UnitRowParser(index, today=TODAY)(row)
    full = parse_unit_row(row, index, today=TODAY)
    assert fast == full


def test_short_rows_and_missing_optional_columns():
    index, _issues = map_header("units", ["code", "level"])
    assert UnitRowParser(index, today=TODAY)([P, "pack"])[0][:3] == (P, "gbt34014", "pack")
    assert UnitRowParser(index, today=TODAY)([P])[1][0][1].code == "value_required"
