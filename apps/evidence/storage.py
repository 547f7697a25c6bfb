"""Where evidence files live and how they get there.

- Files are kept in Django's default storage (the private file system root, or S3-compatible object
  storage when configured), under `<schema>/evidence/<revision uuid>`: a per-organisation prefix, no
  part of the user's file name, never under the web root, served only by the authorised download views.
- An upload is streamed to a local temporary file in chunks while SHA-256 and size are computed in the
  same pass (constant memory): by `EvidenceUploadHandler` for HTTP uploads, by `stage()` for files handed
  over in-process. The checks run on that local copy, then the file is moved (file system: a rename,
  no second copy) or streamed (S3) into storage. Nothing is stored when a check refuses the file.
"""
from __future__ import annotations

import hashlib
import html
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http.multipartparser import MultiPartParser

CHUNK_SIZE = 1024 * 1024  # a multiple of 4 (Django decodes base64 parts in multiples of 4)
# Room for the other form fields of an upload request beyond the file itself.
FORM_OVERHEAD = 1024 * 1024


def max_upload_bytes() -> int:
    return int(settings.EVIDENCE_MAX_UPLOAD_BYTES)


def storage_name_for(schema: str, file_id: UUID) -> str:
    return f"{schema}/evidence/{file_id}"


def incoming_dir() -> Path:
    """Local directory for uploads in flight: EVIDENCE_UPLOAD_TEMP_DIR, else beside the private file
    system root (same file system, so moving a finished upload into storage is a rename)."""
    configured = getattr(settings, "EVIDENCE_UPLOAD_TEMP_DIR", None)
    backend = storages["default"]
    if configured:
        path = Path(configured)
    elif isinstance(backend, FileSystemStorage):
        path = Path(f"{backend.location}-incoming")
    else:  # object storage: any local directory will do
        path = Path(tempfile.gettempdir()) / "cellpass-incoming"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


class HashedUpload(UploadedFile):
    """A file received over HTTP, spooled to a local temporary file; SHA-256 and size were computed
    while it was written."""

    def __init__(self, name: str, content_type: str, charset: str | None = None,
                 content_type_extra: dict | None = None, raw_name: str | None = None) -> None:
        file = tempfile.NamedTemporaryFile(prefix="upload-", suffix=".part", dir=incoming_dir())
        super().__init__(file, name, content_type, 0, charset, content_type_extra)
        self.raw_name = raw_name if raw_name is not None else name
        self._hasher = hashlib.sha256()
        self.sha256: str | None = None

    def write_chunk(self, chunk: bytes) -> None:
        self.file.write(chunk)
        self._hasher.update(chunk)
        self.size += len(chunk)

    def finish(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())  # the evidence is on disk before any row says it exists
        self.sha256 = self._hasher.hexdigest()
        self.file.seek(0)

    def temporary_file_path(self) -> str:
        return self.file.name

    def close(self) -> None:
        try:
            self.file.close()
        except FileNotFoundError:
            pass  # already moved into storage


class EvidenceUploadHandler(FileUploadHandler):
    """Streams each uploaded file to disk in 1 MiB chunks and hashes it on the way. Stops reading a
    file (and stores nothing) as soon as it exceeds the limit; `refusal` then says why."""

    chunk_size = CHUNK_SIZE

    def __init__(self, request: Any = None, max_bytes: int | None = None) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes if max_bytes is not None else max_upload_bytes()
        self.refusal: str | None = None
        self.raw_file_name: str | None = None
        self.request_length: int | None = None

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):  # noqa: N803
        self.request_length = content_length
        return None

    def new_file(self, field_name, file_name, content_type, content_length, charset=None,
                 content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        if (self.request_length or 0) > self.max_bytes + FORM_OVERHEAD or (content_length or 0) > self.max_bytes:
            self.refusal = "too_large"
            raise StopUpload(connection_reset=False)
        self.file = HashedUpload(file_name, content_type, charset, content_type_extra, raw_name=self.raw_file_name)
        self.raw_file_name = None

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.max_bytes:
            self.refusal = "too_large"
            raise StopUpload(connection_reset=False)
        self.file.write_chunk(raw_data)
        return None

    def file_complete(self, file_size):
        self.file.finish()
        return self.file

    def upload_interrupted(self):
        if hasattr(self, "file"):
            self.file.close()


class RawNameMultiPartParser(MultiPartParser):
    """Django's parser, except that the upload handler also learns the file name exactly as the client
    sent it (Django strips directories and control characters silently; the vault refuses such names
    with a message instead, see inspection.clean_filename)."""

    def sanitize_file_name(self, file_name):
        raw = html.unescape(file_name)
        for handler in self._upload_handlers:
            if isinstance(handler, EvidenceUploadHandler):
                handler.raw_file_name = raw
        return super().sanitize_file_name(file_name) or "unnamed"


def install_upload_handling(request: Any, max_bytes: int | None = None) -> EvidenceUploadHandler:
    """Make `request` (a Django HttpRequest, before its body is read) stream files through the vault's
    handler and parser. Returns the handler, whose `refusal` the view reads."""
    handler = EvidenceUploadHandler(request, max_bytes=max_bytes)
    request.upload_handlers = [handler]

    def parse_file_upload(META, post_data):  # noqa: N803
        return RawNameMultiPartParser(META, post_data, request.upload_handlers, request.encoding).parse()

    request.parse_file_upload = parse_file_upload
    return handler


def raw_name_of(upload: Any) -> str:
    return getattr(upload, "raw_name", None) or getattr(upload, "name", "") or ""


# --- staging and storing ------------------------------------------------------------------------

@dataclass
class Staged:
    """A complete local copy of an upload with its SHA-256 and size. `owned`: created by `stage()`
    (and removed by `discard()`); otherwise it belongs to the request and Django removes it."""

    path: Path
    size: int
    sha256: str
    owned: bool

    def discard(self) -> None:
        if self.owned:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass


class TooLarge(Exception):
    pass


def stage(upload: IO[bytes] | UploadedFile, max_bytes: int) -> Staged:
    """The local, hashed copy of `upload` (one pass, constant memory). An upload that came through
    `EvidenceUploadHandler` is already one and is used as it is."""
    if isinstance(upload, HashedUpload) and upload.sha256 is not None:
        if upload.size > max_bytes:
            raise TooLarge
        return Staged(Path(upload.temporary_file_path()), upload.size, upload.sha256, owned=False)
    if hasattr(upload, "seek"):
        try:
            upload.seek(0)
        except (OSError, ValueError):
            pass
    hasher = hashlib.sha256()
    size = 0
    handle = tempfile.NamedTemporaryFile(prefix="stage-", suffix=".part", dir=incoming_dir(), delete=False)
    try:
        with handle:
            while chunk := upload.read(CHUNK_SIZE):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge
                hasher.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        os.unlink(handle.name)
        raise
    return Staged(Path(handle.name), size, hasher.hexdigest(), owned=True)


class _LocalFile(File):
    """Lets FileSystemStorage move the staged file into place instead of copying it."""

    def __init__(self, path: Path) -> None:
        super().__init__(open(path, "rb"), name=path.name)  # noqa: SIM115 - closed by store()
        self._path = path

    def temporary_file_path(self) -> str:
        return str(self._path)


def store(staged: Staged, name: str) -> str:
    """Put the staged file into storage under `name`; returns the name actually used."""
    content = _LocalFile(staged.path)
    try:
        return default_storage.save(name, content)
    finally:
        content.close()


def delete(name: str) -> None:
    try:
        default_storage.delete(name)
    except FileNotFoundError:
        pass


def open_stored(name: str) -> IO[bytes]:
    return default_storage.open(name, "rb")


def stored_names(schema: str) -> list[str]:
    """Every file under the organisation's evidence prefix (for the orphan sweep)."""
    prefix = f"{schema}/evidence"
    try:
        _dirs, files = default_storage.listdir(prefix)
    except FileNotFoundError:
        return []
    return [f"{prefix}/{name}" for name in files]
