"""Reading untrusted CSV/XLSX files and writing safe ones (no database)."""
import codecs
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from apps.traceability.spreadsheet import (
    SpreadsheetError,
    csv_lines,
    detect_encoding,
    escape_cell,
    open_table,
    xlsx_bytes,
)

MB = 1024 * 1024


def _read(data: bytes, name: str = "units.csv", max_bytes: int = MB, max_rows: int = 1000):
    with open_table(io.BytesIO(data), filename=name, max_bytes=max_bytes, max_rows=max_rows) as table:
        return table.file_format, table.encoding, table.header, list(table.rows)


def _refusal(data: bytes, name: str = "units.csv", **limits) -> str:
    with pytest.raises(SpreadsheetError) as caught:
        _read(data, name, **limits)
    return caught.value.issue.code


TEXT = "编码,层级\nX12PEPM27KLPCLX2M0000001,电池包\n"


@pytest.mark.parametrize("data,encoding", [
    (TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
    (TEXT.encode("gbk"), "gb18030"),
    (TEXT.encode("utf-16"), "utf-16"),
])
def test_utf8_with_and_without_bom_gbk_and_utf16_read_the_same(data, encoding):
    file_format, found, header, rows = _read(data)
    assert (file_format, found) == ("csv", encoding)
    assert header == ["编码", "层级"] and rows == [(2, ["X12PEPM27KLPCLX2M0000001", "电池包"])]


def test_a_late_non_utf8_byte_still_switches_to_gbk():
    data = ("code,level\n" + "X12PEPM27KLPCLX2M0000001,pack\n" * 60000).encode() + "第二,包\n".encode("gbk")
    assert detect_encoding(io.BytesIO(data)) == "gb18030"


def test_semicolon_and_tab_delimiters_are_recognised():
    assert _read(b"code;level\nA;pack\n")[3] == [(2, ["A", "pack"])]
    assert _read(b"code\tlevel\nA\tpack\n", "units.tsv")[3] == [(2, ["A", "pack"])]


@pytest.mark.parametrize("data,name,code", [
    (b"", "units.csv", "file_empty"),
    (b"\n\n", "units.csv", "file_no_header"),
    (b"code\n" + b"x" * (2 * MB), "units.csv", "file_too_large"),
    (b"code,level\n", "units.pdf", "file_type_unsupported"),
    (b"code,level\n", "units.xls", "file_xls_unsupported"),
    (b"%PDF-1.7\n%...", "units.csv", "file_type_mismatch"),
    (b"MZ\x90\x00\x03", "units.csv", "file_type_mismatch"),
    (b"code,level\nA\x00B,pack\n", "units.csv", "file_not_text"),
    (b"code,level\n\xff\xfe\xfa\xfb\x80\x81,pack\n", "units.csv", "file_encoding"),
    (b"code,level\n", "units.xlsx", "file_type_mismatch"),
])
def test_files_that_are_refused_as_a_whole(data, name, code):
    assert _refusal(data, name) == code


def test_html_renamed_to_xlsx_is_refused():
    assert _refusal(b"<html><body>hi</body></html>", "units.xlsx") == "file_type_mismatch"


def test_a_zip_that_is_no_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.sh", "rm -rf /")
    assert _refusal(buffer.getvalue(), "units.xlsx") == "file_type_mismatch"


def test_xlsx_decompression_bomb_is_refused_before_parsing():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (30 * MB))
    assert len(buffer.getvalue()) < MB
    assert _refusal(buffer.getvalue(), "units.xlsx", max_bytes=MB) == "file_archive_bomb"


def test_too_many_rows_stop_the_stream():
    data = ("code\n" + "A\n" * 11).encode()
    assert _refusal(data, max_rows=10) == "file_too_many_rows"


def test_a_field_larger_than_the_csv_limit_is_reported_with_its_row():
    data = b'code,level\n"' + b"x" * 200_000 + b'",pack\n'
    with pytest.raises(SpreadsheetError) as caught:
        _read(data)
    assert caught.value.issue.code == "file_malformed" and caught.value.issue.params["row"] == 2


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_values_come_as_text_and_formulas_are_not_evaluated():
    from datetime import date

    data = _xlsx([["code", "mass_kg", "manufacture_date", "gtin"],
                  ["=HYPERLINK(\"http://evil\",\"x\")", 412.5, date(2024, 3, 1), 9521234543213]])
    file_format, _encoding, header, rows = _read(data, "units.xlsx")
    assert file_format == "xlsx" and header == ["code", "mass_kg", "manufacture_date", "gtin"]
    assert rows == [(2, ['=HYPERLINK("http://evil","x")', "412.5", "2024-03-01", "9521234543213"])]


def test_the_callers_file_stays_open():
    file = io.BytesIO(TEXT.encode())
    with open_table(file, filename="u.csv", max_bytes=MB, max_rows=10) as table:
        list(table.rows)
    assert not file.closed


@pytest.mark.parametrize("value,escaped", [("=1+1", "'=1+1"), ("+SUM(A1)", "'+SUM(A1)"), ("-2+3", "'-2+3"),
                                           ("@cmd", "'@cmd"), ("\t=1", "'\t=1"), ("safe", "safe"), (12, 12)])
def test_formula_triggers_are_escaped_on_export(value, escaped):
    assert escape_cell(value) == escaped


def test_csv_and_xlsx_exports_never_carry_a_live_formula():
    text = "".join(csv_lines(["code", "note"], [["=cmd|' /C calc'!A0", "@SUM(1)"]]))
    assert text.startswith("\ufeff") and "'=cmd" in text and "'@SUM" in text
    workbook = load_workbook(io.BytesIO(xlsx_bytes([("units", ["code"], [["=1+1"], ["+2"]])])))
    values = [row[0].value for row in workbook.active.iter_rows(min_row=2)]
    assert values == ["'=1+1", "'+2"] and all(row[0].data_type == "s" for row in workbook.active.iter_rows(min_row=2))
