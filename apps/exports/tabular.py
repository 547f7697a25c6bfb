"""CSV and XLSX files of platform-upload rows (rows come from `reporting.upload_rows`, already
formula-escaped)."""
import csv
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs open Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[_csv_value(value) for value in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(header: Sequence[str], rows: Sequence[Sequence[Any]], *, sheet_title: str, notes: Sequence[str]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append(list(header))
    for row in rows:
        cells = []
        for value in row:
            cells.append(float(value) if isinstance(value, Decimal) else value)
        sheet.append(cells)
    for index, value in enumerate(header, start=1):
        width = max([len(str(value))] + [len(str(row[index - 1] or "")) for row in rows]) + 2
        sheet.column_dimensions[get_column_letter(index)].width = min(width, 60)
        for cell in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if isinstance(cell[0].value, date):
                cell[0].number_format = "yyyy-mm-dd"
            elif isinstance(cell[0].value, str):
                cell[0].data_type = "s"  # text stays text, never a formula
    info = workbook.create_sheet("Notes")
    for line in notes:
        info.append([line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
