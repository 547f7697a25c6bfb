"""File name rules, type sniffing and the deep checks of PDFs and archives (no database)."""
import io
import zipfile

import pytest

from apps.evidence.inspection import Limits, UploadRefused, clean_filename, inspect_file, sniff
from tests.evidence.files import PNG, make_pdf, make_xlsx, make_zip


def refused(data: bytes, name: str, tmp_path, limits: Limits | None = None) -> str:
    path = tmp_path / "upload.part"
    path.write_bytes(data)
    with pytest.raises(UploadRefused) as caught:
        inspect_file(path, name, limits)
    return caught.value.code


def accepted(data: bytes, name: str, tmp_path, limits: Limits | None = None):
    path = tmp_path / "upload.part"
    path.write_bytes(data)
    return inspect_file(path, name, limits)


@pytest.mark.parametrize("name,code", [
    ("../../etc/passwd.pdf", "filename_path"),
    ("C:\\Users\\li\\manifest.pdf", "filename_path"),
    ("manifest.php\x00.pdf", "filename_nul"),
    ("mani\nfest.pdf", "filename_control"),
    ("manifest\x1b[31m.pdf", "filename_control"),
    ("invoice\u202efdp.exe", "filename_control"),  # right-to-left override spoofing the extension
    ("a" * 296 + ".pdf", "filename_too_long"),
    ("   ", "filename_empty"),
    ("..", "filename_empty"),
])
def test_unsafe_file_names_are_refused(name, code):
    with pytest.raises(UploadRefused) as caught:
        clean_filename(name)
    assert caught.value.code == code


def test_safe_names_are_kept_as_written_in_nfc():
    assert clean_filename(" 运输单 CMR-2026 (final).pdf ") == "运输单 CMR-2026 (final).pdf"
    assert clean_filename("Lieferschein Mu\u0308nchen.pdf") == "Lieferschein München.pdf"
    assert clean_filename("x" * 251 + ".pdf") == "x" * 251 + ".pdf"


def test_sniffing_reads_the_bytes_not_the_name(tmp_path):
    samples = {"pdf": make_pdf(), "png": PNG, "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 50,
               "xlsx": make_xlsx(), "zip": make_zip({"a.txt": b"hello"}), "executable": b"MZ\x90\x00" + b"\x00" * 60,
               "html": b"<!DOCTYPE html><html><script>alert(1)</script></html>",
               "svg": b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
               "text": "lot;mass\nBM-1;1000\n".encode("gb18030")}
    for kind, data in samples.items():
        path = tmp_path / f"{kind}.bin"
        path.write_bytes(data)
        assert sniff(path).kind == kind


def test_pdf_png_xlsx_csv_are_accepted_with_their_sniffed_type(tmp_path):
    assert accepted(make_pdf(), "m.pdf", tmp_path).content_type == "application/pdf"
    assert accepted(PNG, "label.PNG", tmp_path).content_type == "image/png"
    assert accepted(make_xlsx(), "balance.xlsx", tmp_path).kind == "xlsx"
    assert accepted("代码;质量\nX1;12.5\n".encode("gbk"), "units.csv", tmp_path).content_type == "text/csv"
    assert accepted(b"\xef\xbb\xbfcode,mass\n", "units.csv", tmp_path).kind == "csv"


@pytest.mark.parametrize("data,name,code", [
    (b"MZ\x90\x00\x03" + b"\x00" * 100, "manifest.pdf", "executable"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "report.pdf", "executable"),
    (b"#!/bin/sh\nrm -rf /\n", "units.csv", "executable"),
    (b"<html><body><script>fetch('/api/')</script></body></html>", "manifest.pdf", "active_content"),
    (b"  <!doctype html><p>hi</p>", "manifest.pdf", "active_content"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "manifest.pdf", "active_content"),
    (PNG, "manifest.pdf", "type_mismatch"),
    (make_pdf(), "photo.jpg", "type_mismatch"),
    (b"lot;mass\n\x00\x01\x02binary", "units.csv", "type_mismatch"),
    (b"\x00\x01\x02\x03" * 100, "manifest.pdf", "type_mismatch"),
    (make_pdf(), "manifest", "type_not_allowed"),
    (b"<html></html>", "page.html", "type_not_allowed"),
    (make_pdf(), "manifest.exe", "type_not_allowed"),
])
def test_disguised_and_mistyped_files_are_refused(tmp_path, data, name, code):
    assert refused(data, name, tmp_path) == code


def test_pdf_with_javascript_launch_or_rich_content_is_refused(tmp_path):
    assert refused(make_pdf(javascript="app.alert('x')"), "m.pdf", tmp_path) == "pdf_javascript"
    assert refused(make_pdf(open_action_js=True), "m.pdf", tmp_path) == "pdf_javascript"
    assert refused(make_pdf(launch=True), "m.pdf", tmp_path) == "pdf_launch"


def test_pdf_with_embedded_files_is_accepted_and_flagged_with_their_names(tmp_path):
    result = accepted(make_pdf(attachment=b"<invoice/>"), "e-invoice.pdf", tmp_path)
    assert result.flags == ({"code": "pdf_embedded_files", "files": ["invoice.xml"]},)


def test_damaged_and_password_protected_pdfs_are_refused(tmp_path):
    assert refused(b"%PDF-1.7\n" + b"garbage " * 50, "m.pdf", tmp_path) == "pdf_malformed"
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert refused(buffer.getvalue(), "m.pdf", tmp_path) == "pdf_encrypted"


def test_archive_bombs_by_ratio_size_count_and_nesting_are_refused(tmp_path):
    zeros = make_zip({"zeros.bin": b"\x00" * (30 * 1024 * 1024)})
    assert len(zeros) < 100_000
    assert refused(zeros, "bundle.zip", tmp_path) == "archive_bomb"
    small = Limits(archive_max_expanded=1024 * 1024, archive_ratio_floor=10 ** 12)
    assert refused(make_zip({"a.csv": b"x" * (2 * 1024 * 1024)}), "bundle.zip", tmp_path, small) == "archive_bomb"
    assert refused(make_zip({f"{i}.txt": b"x" for i in range(30)}), "b.zip", tmp_path,
                   Limits(archive_max_members=20)) == "archive_bomb"
    inner = make_zip({"deep.txt": b"x"})
    middle = make_zip({"inner.zip": inner})
    assert accepted(middle, "bundle.zip", tmp_path).kind == "zip"  # one level of nesting is allowed
    assert refused(make_zip({"middle.zip": middle}), "bundle.zip", tmp_path) == "archive_nested"
    gz = make_zip({"data.tar.gz": b"\x1f\x8b\x08\x00" + b"\x00" * 20})
    assert refused(gz, "bundle.zip", tmp_path) == "archive_nested"


def test_archive_size_lies_are_caught_by_inflating(tmp_path):
    data = bytearray(make_zip({"a.txt": b"A" * 50_000}))
    # Rewrite the declared uncompressed size (local header and central directory) to 10 bytes.
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.infolist()[0]
    size_field = (50_000).to_bytes(4, "little")
    assert data.count(size_field) == 2
    data = bytearray(bytes(data).replace(size_field, (10).to_bytes(4, "little")))
    assert refused(bytes(data), "bundle.zip", tmp_path) in ("archive_bomb", "archive_malformed")
    assert info.file_size == 50_000


def test_archives_with_programs_macros_or_escaping_paths_are_refused(tmp_path):
    assert refused(make_zip({"setup.exe": b"MZ" + b"\x00" * 50}), "b.zip", tmp_path) == "archive_executable"
    assert refused(make_zip({"readme.txt": b"\x7fELF\x02" + b"\x00" * 50}), "b.zip", tmp_path) == "archive_executable"
    assert refused(make_zip({"../../evil.txt": b"x"}), "b.zip", tmp_path) == "archive_unsafe_paths"
    assert refused(make_xlsx({"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0"}), "m.xlsx", tmp_path) == "office_macros"
    assert refused(b"PK\x03\x04" + b"\x00" * 40, "b.zip", tmp_path) == "archive_malformed"
