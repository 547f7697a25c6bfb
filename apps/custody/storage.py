"""Minimal streaming store for the files custody steps put into an organisation's vault.

Stop-gap until the evidence vault's upload service is on main (then `vault.evidence_file_add` calls it
instead): the file is streamed to private storage under the organisation's prefix in chunks while its
SHA-256 and size are computed, its type is sniffed from its first bytes (never trusted from the client),
and it is removed again when the database work that should reference it fails.
"""
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import PurePath

import puremagic
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ApplicationError

ACCEPTED_TYPES = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/tiff": ".tif",
}
MSG_FILE_MISSING = _("Choose a file to upload.")
MSG_FILE_EMPTY = _("The file is empty.")
MSG_FILE_TOO_LARGE = _("The file is larger than %(limit)s MB.")
MSG_FILE_TYPE = _("The file must be a PDF, PNG, JPEG or TIFF document.")
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class StoredFile:
    storage_name: str
    original_filename: str
    sha256: str
    size: int
    content_type: str


def _sniff(head: bytes) -> str | None:
    try:
        kind = puremagic.from_string(head, mime=True)
    except (puremagic.PureError, ValueError):
        return None
    return kind if kind in ACCEPTED_TYPES else None


def file_store(*, upload: UploadedFile | None, schema_name: str, field: str) -> StoredFile:
    """Stream `upload` into private storage under `<schema>/custody/`; refuse empty, oversized or
    unexpected files with a clear message. Nothing is written when the file is refused."""
    if upload is None:
        raise ApplicationError(MSG_FILE_MISSING, code="file_missing", field=field)
    limit = settings.CUSTODY_MAX_FILE_BYTES
    if upload.size is not None and upload.size > limit:
        raise ApplicationError(MSG_FILE_TOO_LARGE % {"limit": limit // (1024 * 1024)}, code="file_too_large",
                               field=field)
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    if not head:
        raise ApplicationError(MSG_FILE_EMPTY, code="file_empty", field=field)
    content_type = _sniff(head)
    if content_type is None:
        raise ApplicationError(MSG_FILE_TYPE, code="file_type", field=field)
    upload.seek(0)
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
        if size > limit:
            raise ApplicationError(MSG_FILE_TOO_LARGE % {"limit": limit // (1024 * 1024)}, code="file_too_large",
                                   field=field)
    upload.seek(0)
    original = get_valid_filename(PurePath(upload.name or "upload").name)[:200] or "upload"
    name = f"{schema_name}/custody/{uuid.uuid4().hex}{ACCEPTED_TYPES[content_type]}"
    # Storage.save streams the file's chunks (or moves the temporary file) without reading it whole.
    stored_name = default_storage.save(name, upload)
    return StoredFile(storage_name=stored_name, original_filename=original, sha256=digest.hexdigest(), size=size,
                      content_type=content_type)


def file_store_bytes(*, content: bytes, filename: str, schema_name: str) -> StoredFile:
    """For generated documents (the demo): the same checks and layout as an upload."""
    upload = SimpleUploadedFile(filename, content)
    return file_store(upload=upload, schema_name=schema_name, field="file")


def file_discard(stored: StoredFile | None) -> None:
    """Remove a stored file whose database rows were not written (a refused or failed step)."""
    if stored is not None and default_storage.exists(stored.storage_name):
        default_storage.delete(stored.storage_name)
