"""Fixtures and file builders of the vault tests, loaded by tests/evidence/conftest.py and, as a plugin, by
the API and browser tests: a private storage root per test (so "nothing stored" can be asserted exactly),
people of every role, and real files (PDFs built with pypdf, zips built with zipfile)."""
import io
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from django_tenants.utils import schema_context

from apps.accounts.roles import Role
from apps.evidence import services
from apps.evidence.models import Evidence, EvidenceRevision, EvidenceType
from tests.conftest import access_for


@dataclass
class Vault:
    root: Path
    incoming: Path

    def stored(self) -> list[str]:
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())

    def in_flight(self) -> list[str]:
        return sorted(p.name for p in self.incoming.rglob("*") if p.is_file()) if self.incoming.exists() else []

    def assert_empty(self, organisation) -> None:
        """Nothing was stored: no row in the organisation's vault, no file in storage, no temp file."""
        with schema_context(organisation.schema_name):
            assert Evidence.objects.count() == 0
            assert EvidenceRevision.objects.count() == 0
        assert self.stored() == []
        assert self.in_flight() == []


@pytest.fixture
def vault(settings, tmp_path) -> Vault:
    root, incoming = tmp_path / "private", tmp_path / "incoming"
    root.mkdir()
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(root), "base_url": None}}}
    settings.EVIDENCE_UPLOAD_TEMP_DIR = str(incoming)
    return Vault(root, incoming)


@pytest.fixture
def people(alpha, make_member):
    """alpha's owner, compliance managers (two), staff and viewer, each with their Access."""

    class People:
        def __init__(self):
            for name, role in [("owner", Role.OWNER), ("manager", Role.COMPLIANCE_MANAGER),
                               ("manager2", Role.COMPLIANCE_MANAGER), ("staff", Role.STAFF),
                               ("viewer", Role.VIEWER)]:
                user = make_member(alpha, role)
                setattr(self, name, user)
                setattr(self, f"{name}_access", access_for(user, alpha, role))

    return People()


# --- files --------------------------------------------------------------------------------------

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


@pytest.fixture
def upload(alpha, people, vault):
    """`upload(data, filename)` -> the first revision of a new transport manifest, by alpha's staff."""

    def do(data: bytes | None = None, filename: str = "manifest.pdf", *, access=None,
           doc_type=EvidenceType.TRANSPORT_MANIFEST, key_fields=None, **kwargs):
        with schema_context(alpha.schema_name):
            return services.evidence_upload(
                access=access or people.staff_access, doc_type=doc_type, title=kwargs.pop("title", "CMR 1"),
                upload=io.BytesIO(make_pdf(uuid.uuid4().hex) if data is None else data), filename=filename,
                key_fields=MANIFEST_FIELDS if key_fields is None else key_fields, **kwargs)

    return do
