"""Reading and writing CSV/XLSX tables, streamed, without trusting the file (no database access).

- The type is decided by the extension *and* the content (an XLSX is a ZIP holding a workbook; a CSV is
  text without NUL bytes); a mismatch is refused.
- CSV text: UTF-8 with or without BOM, UTF-16 with BOM, else GBK/GB18030, detected by decoding the whole
  file incrementally (constant memory) before it is parsed; the delimiter (comma, semicolon or tab) is
  sniffed from the header line.
- XLSX: openpyxl in read-only mode, first worksheet, `data_only=False`, so a formula cell yields its
  formula text and is never evaluated; the ZIP is checked against decompression bombs first.
- Exports: text cells starting with = + - @ (or a tab / carriage return) are prefixed with an apostrophe
  (`escape_cell`) so that spreadsheet programs never execute them (CSV/formula injection).
"""
import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.utils.translation import gettext_lazy as _

from .issues import Issue, error, register_messages

register_messages({
    "file_empty": _("The file is empty."),
    "file_too_large": _("The file is %(size_mb)s MB; files up to %(max_mb)s MB can be imported. Split it into "
                        "smaller files."),
    "file_too_many_rows": _("The file has more than %(max)s rows; split it into smaller files."),
    "file_type_unsupported": _("Only CSV (.csv) and Excel (.xlsx) files can be imported."),
    "file_xls_unsupported": _("Old Excel files (.xls) cannot be imported: save the sheet as .xlsx or CSV."),
    "file_type_mismatch": _("The content of the file does not match its extension %(extension)s."),
    "file_not_text": _("The file is not a text (CSV) file: it holds binary data."),
    "file_encoding": _("The text encoding of the file is not recognised: save it as CSV in UTF-8 (or GBK)."),
    "file_archive_bomb": _("The Excel file expands to more than %(max_mb)s MB; it is refused."),
    "file_unreadable": _("The Excel file cannot be read: %(reason)s"),
    "file_malformed": _("Row %(row)s cannot be read as CSV: %(reason)s"),
    "file_no_header": _("The file has no header row."),
})

CSV_EXTENSIONS = (".csv", ".txt", ".tsv")
XLSX_EXTENSIONS = (".xlsx",)
ZIP_MAGIC = b"PK\x03\x04"
# Binary signatures that are never a CSV (executables, PDF, images, archives ...).
BINARY_MAGIC = (b"%PDF", b"MZ", b"\x7fELF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"Rar!",
                b"7z\xbc\xaf", b"\xd0\xcf\x11\xe0")
XLSX_EXPANSION_FACTOR = 20  # an XLSX may expand to this many times the upload limit at most
CHUNK = 1024 * 1024


class SpreadsheetError(Exception):
    """The file as a whole cannot be imported; `issue` says why."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.code)
        self.issue = issue


@dataclass
class Table:
    file_format: str  # "csv" or "xlsx"
    encoding: str
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (spreadsheet row number, cells as text)


def _extension(filename: str) -> str:
    name = (filename or "").lower()
    return name[name.rfind("."):] if "." in name else ""


def _size(file: IO[bytes]) -> int:
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(0)
    return size


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def detect_encoding(file: IO[bytes]) -> str:
    """The encoding the whole stream decodes with: utf-8-sig, utf-16 (BOM), utf-8, else gb18030 (a superset
    of GBK). Decoded incrementally in 1 MiB chunks: memory stays flat whatever the file size."""
    file.seek(0)
    head = file.read(4)
    file.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    candidates = ["utf-8-sig"] if head.startswith(codecs.BOM_UTF8) else ["utf-8", "gb18030"]
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        file.seek(0)
        try:
            while chunk := file.read(CHUNK):
                if b"\x00" in chunk:
                    raise SpreadsheetError(error("file_not_text"))
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            file.seek(0)
        return encoding
    raise SpreadsheetError(error("file_encoding"))


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(text: io.TextIOWrapper, max_rows: int) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    first = text.readline()
    if not first.strip():
        raise SpreadsheetError(error("file_no_header"))
    delimiter = _sniff_delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter))

    def rows() -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(text, delimiter=delimiter)
        number = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise SpreadsheetError(error("file_malformed", row=number + 1, reason=str(exc))) from exc
            number += 1
            if number - 1 > max_rows:
                raise SpreadsheetError(error("file_too_many_rows", max=max_rows))
            yield number, cells

    return header, rows()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.date().isoformat() if not (value.hour or value.minute or value.second) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _check_xlsx_archive(file: IO[bytes], max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
            names = {e.filename for e in entries}
            expanded = sum(e.file_size for e in entries)
    except zipfile.BadZipFile as exc:
        raise SpreadsheetError(error("file_type_mismatch", extension=".xlsx")) from exc
    finally:
        file.seek(0)
    if "xl/workbook.xml" not in names:
        raise SpreadsheetError(error("file_type_mismatch", extension=".xlsx"))
    limit = max_bytes * XLSX_EXPANSION_FACTOR
    if expanded > limit:
        raise SpreadsheetError(error("file_archive_bomb", max_mb=_mb(limit)))


def _xlsx_rows(file: IO[bytes], max_rows: int) -> tuple[Any, list[str], Iterator[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(file, read_only=True, data_only=False, keep_links=False)
        sheet = workbook.worksheets[0]
        iterator = sheet.iter_rows(values_only=True)
        first = next(iterator, None)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a broken workbook
        raise SpreadsheetError(error("file_unreadable", reason=type(exc).__name__)) from exc
    if first is None or not any(v not in (None, "") for v in first):
        workbook.close()
        raise SpreadsheetError(error("file_no_header"))
    header = [_cell_text(v) for v in first]

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = 1
        for values in iterator:
            number += 1
            if number - 1 > max_rows:
                raise SpreadsheetError(error("file_too_many_rows", max=max_rows))
            yield number, [_cell_text(v) for v in values]

    return workbook, header, rows()


@contextmanager
def open_table(file: IO[bytes], *, filename: str, max_bytes: int, max_rows: int) -> Iterator[Table]:
    """Open an uploaded table after checking size, type and encoding; raises SpreadsheetError."""
    size = _size(file)
    if size == 0:
        raise SpreadsheetError(error("file_empty"))
    if size > max_bytes:
        raise SpreadsheetError(error("file_too_large", size_mb=_mb(size), max_mb=_mb(max_bytes)))
    extension = _extension(filename)
    head = file.read(8)
    file.seek(0)
    if extension == ".xls":
        raise SpreadsheetError(error("file_xls_unsupported"))
    if extension in XLSX_EXTENSIONS:
        if not head.startswith(ZIP_MAGIC):
            raise SpreadsheetError(error("file_type_mismatch", extension=extension))
        _check_xlsx_archive(file, max_bytes)
        workbook, header, rows = _xlsx_rows(file, max_rows)
        try:
            yield Table("xlsx", "", header, rows)
        finally:
            workbook.close()
        return
    if extension not in CSV_EXTENSIONS:
        raise SpreadsheetError(error("file_type_unsupported"))
    if head.startswith(ZIP_MAGIC) or head.startswith(BINARY_MAGIC):
        raise SpreadsheetError(error("file_type_mismatch", extension=extension))
    encoding = detect_encoding(file)
    # The wrapper must not close the caller's file when it goes away: detached at the end.
    text = io.TextIOWrapper(file, encoding=encoding, newline="")
    try:
        header, rows = _csv_rows(text, max_rows)
        yield Table("csv", encoding, header, rows)
    finally:
        text.detach()


# --- writing ------------------------------------------------------------------------------

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """Make a text cell inert in spreadsheet programs (OWASP CSV injection): prefix an apostrophe when it
    starts with a formula trigger. Numbers and dates are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """CSV text line by line (for a StreamingHttpResponse), UTF-8 BOM first so that Excel reads Chinese
    correctly; every text cell escaped."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([escape_cell(h) for h in header])
    for row in rows:
        yield writer.writerow([escape_cell(_plain(v)) for v in row])


def xlsx_bytes(sheets: list[tuple[str, list[str], Iterable[Iterable[Any]]]]) -> bytes:
    """A workbook (write-only mode) with one sheet per (title, header, rows); every text cell escaped."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append([escape_cell(h) for h in header])
        for row in rows:
            sheet.append([escape_cell(v if isinstance(v, Decimal | int | float | date) else _plain(v)) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
