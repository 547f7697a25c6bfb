"""Board states, the "reported in time" requirement and the platform-upload rows (pure)."""
from datetime import date
from decimal import Decimal

import pytest

from apps.exports import reporting, tabular
from apps.exports.reporting import EventFacts, UploadEvent


def event(**changes) -> EventFacts:
    values = {"id": "e1", "kind": "recycler_receipt", "kind_label": "Waste batteries received",
              "occurred_on": date(2026, 9, 28), "deadline": date(2026, 11, 13), "reference": "IN-1"}
    values.update(changes)
    return EventFacts(**values)


def test_states_due_overdue_reported():
    assert reporting.state_of(event(), date(2026, 11, 13)) == "due"
    assert reporting.state_of(event(), date(2026, 11, 14)) == "overdue"
    assert reporting.state_of(event(platform_reference="GJ-1"), date(2027, 1, 1)) == "reported"


def test_requirement_fails_for_each_overdue_event_without_a_reference():
    events = [event(), event(id="e2", platform_reference="GJ-1"), event(id="e3", deadline=date(2026, 12, 31))]
    assert reporting.reporting_requirement_failed(events, date(2026, 11, 13)) == []
    failures = reporting.reporting_requirement_failed(events, date(2026, 11, 20))
    assert [f.event_id for f in failures] == ["e1"] and failures[0].code == "reporting_overdue"
    assert "2026-11-13" in failures[0].message and "IN-1" in failures[0].message


def upload(**changes) -> UploadEvent:
    values = {"kind": "recycler_receipt", "kind_label": "Waste batteries received", "occurred_on": date(2026, 9, 28),
              "deadline": date(2026, 11, 13), "counterparty": "SinoEV", "mass_kg": Decimal("910.000"),
              "reference": "IN-1", "unit_codes": ["SEVPE75N3A0001R190000011", "SEVPE75N3A0001R190000012"]}
    values.update(changes)
    return UploadEvent(**values)


def test_upload_rows_one_per_code_in_the_default_layout():
    rows = reporting.upload_rows([upload()], reporting.DEFAULT_COLUMNS)
    assert reporting.header(reporting.DEFAULT_COLUMNS) == ["GB/T 34014 code", "Event", "Event date", "Counterparty",
                                                           "Mass (kg)"]
    assert rows == [["SEVPE75N3A0001R190000011", "Waste batteries received", date(2026, 9, 28), "SinoEV",
                     Decimal("910.000")],
                    ["SEVPE75N3A0001R190000012", "Waste batteries received", date(2026, 9, 28), "SinoEV", None]]


def test_event_without_codes_gives_one_row_and_codes_are_checked():
    rows = reporting.upload_rows([upload(unit_codes=[]), upload(unit_codes=["NOT-A-CODE"])],
                                 ["code", "code_valid", "reference"])
    assert rows == [["", False, "IN-1"], ["NOT-A-CODE", False, "IN-1"]]


def test_columns_are_configurable_and_unknown_ones_refused():
    rows = reporting.upload_rows([upload(original_codes=["ORIG1"])], ["reference", "original_code", "deadline"])
    assert rows[0] == ["IN-1", "ORIG1", date(2026, 11, 13)]
    with pytest.raises(ValueError, match="Unknown export column “colour”"):
        reporting.check_columns(["code", "colour"])


@pytest.mark.parametrize("hostile", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"])
def test_formula_like_cells_are_escaped(hostile):
    rows = reporting.upload_rows([upload(counterparty=hostile, reference=hostile)],
                                 ["counterparty", "reference", "mass_kg"])
    assert rows[0][0] == "'" + hostile and rows[0][1] == "'" + hostile and rows[0][2] == Decimal("910.000")


def test_csv_and_xlsx_files_keep_escaped_text_as_text(tmp_path):
    from openpyxl import load_workbook

    rows = reporting.upload_rows([upload(counterparty="=1+2", unit_codes=["C1"])], reporting.DEFAULT_COLUMNS)
    header = reporting.header(reporting.DEFAULT_COLUMNS)
    csv_text = tabular.to_csv(header, rows).decode("utf-8")
    assert csv_text.startswith("\ufeffGB/T 34014 code,") and "C1,Waste batteries received,2026-09-28,'=1+2,910.000" \
        in csv_text
    path = tmp_path / "x.xlsx"
    path.write_bytes(tabular.to_xlsx(header, rows, sheet_title="Pending", notes=["format not published"]))
    book = load_workbook(path)
    sheet = book["Pending"]
    assert sheet["D2"].value == "'=1+2" and sheet["D2"].data_type == "s"
    assert sheet["E2"].value == 910.0 and sheet["C2"].value.date() == date(2026, 9, 28)
    assert book["Notes"]["A1"].value == "format not published"
