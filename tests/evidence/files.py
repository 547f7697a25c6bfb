"""Real files for the vault tests: PDFs built with pypdf (optionally with scripts, attachments or actions),
zips and xlsx workbooks built with zipfile/openpyxl, a PNG, and a valid set of manifest key fields."""
import io
import uuid
import zipfile


def make_pdf(text: str = "Consignment note", *, javascript: str | None = None, attachment: bytes | None = None,
             launch: bool = False, open_action_js: bool = False) -> bytes:
    """A real PDF (pypdf), optionally with document JavaScript, an embedded file or a Launch action."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text})
    if javascript:  # a document-level script in the /Names /JavaScript tree
        script = writer._add_object(DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                                                      NameObject("/JS"): TextStringObject(javascript)}))
        tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("init"), script])})
        writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): tree})
    if attachment is not None:
        writer.add_attachment("invoice.xml", attachment)
    if launch or open_action_js:
        action = DictionaryObject({NameObject("/S"): NameObject("/Launch" if launch else "/JavaScript")})
        if launch:
            action[NameObject("/F")] = TextStringObject("calc.exe")
        else:
            action[NameObject("/JS")] = TextStringObject("app.alert('hi')")
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def make_xlsx(extra: dict[str, bytes] | None = None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active["A1"] = "lot"
    workbook.active["B1"] = 12.5
    buffer = io.BytesIO()
    workbook.save(buffer)
    if not extra:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        for name, data in extra.items():
            dst.writestr(name, data)
    return out.getvalue()


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

MANIFEST_FIELDS = {"document_number": "CMR-1", "carrier": "Trans-Eurasia Logistics", "net_mass_kg": "18640",
                   "gross_mass_kg": "21310", "unit_count": 48, "un_number": "3480", "special_provision": "SP377",
                   "packing_instruction": "P909"}


def multipart(fields: dict, files: list[tuple[str, str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart body written by hand, so that file names reach the server exactly as given."""
    boundary = "----cellpass" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{item}\r\n'.encode())
    for name, filename, data, content_type in files:
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n")
        parts.append(head.encode("utf-8") + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
