"""Upload checks on a complete local copy of the file (no database): the file name, the real type sniffed
from the bytes, and the deep checks of PDFs and archives. A check either refuses the file
(`UploadRefused` with a stable code and a message in the user's language) or records a flag that the
revision keeps and shows to reviewers.

Policy (docs/evidence.md repeats it):
- File names: refused, never silently changed, when they contain a path separator, a NUL byte, a control
  or bidirectional-override character, or more than 255 characters. The stored object's name never
  derives from the file name (`<schema>/evidence/<uuid>`), so the name is only ever shown, and an
  auditor must see exactly the name the uploader chose.
- Type: the extension must be one we accept and the bytes must be that type. Programs are refused
  whatever their name; HTML, SVG or XML are refused as "active content" (they run script in a browser).
- PDF: JavaScript, Launch actions and rich media are REFUSED: they execute in the reader of everyone
  who opens the evidence, no legitimate evidence needs them, and removing them would change the bytes
  (and so the hash) of what was received. Embedded files are FLAGGED, not refused: PDF/A-3 documents
  (e-invoices, signed manifests, our own dossiers) legitimately carry attachments; reviewers see the
  flag and the attachment names. XFA forms are flagged too. Password-protected PDFs are refused
  (nobody could check or read them later).
- Archives (zip, xlsx, docx): refused when the expansion ratio or the total expanded size exceeds the
  limits, when nesting is deeper than the limit (42.zip-style bombs), when declared sizes lie, when
  they hold programs, Office macros, encrypted members or paths outside the archive. Sizes are
  measured by actually inflating each member in bounded chunks (declared sizes are not trusted).
"""
from __future__ import annotations

import codecs
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MAX_FILENAME_LENGTH = 255
HEAD_BYTES = 8192
CHUNK = 1024 * 1024


class UploadRefused(Exception):
    def __init__(self, code: str, message: str | Promise, **params: Any) -> None:
        self.code = code
        self.params = params
        self.message = message
        super().__init__(code)

    @property
    def text(self) -> str:
        return str(self.message) % self.params if self.params else str(self.message)


@dataclass(frozen=True)
class FileKind:
    key: str
    content_type: str
    label: str | Promise
    extensions: tuple[str, ...]


ACCEPTED: tuple[FileKind, ...] = (
    FileKind("pdf", "application/pdf", _("PDF document"), (".pdf",)),
    FileKind("png", "image/png", _("PNG image"), (".png",)),
    FileKind("jpeg", "image/jpeg", _("JPEG image"), (".jpg", ".jpeg")),
    FileKind("tiff", "image/tiff", _("TIFF image"), (".tif", ".tiff")),
    FileKind("webp", "image/webp", _("WebP image"), (".webp",)),
    FileKind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             _("Excel workbook (xlsx)"), (".xlsx",)),
    FileKind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             _("Word document (docx)"), (".docx",)),
    FileKind("csv", "text/csv", _("CSV table"), (".csv",)),
    FileKind("txt", "text/plain", _("Text file"), (".txt",)),
    FileKind("zip", "application/zip", _("ZIP archive"), (".zip",)),
)
BY_EXTENSION = {ext: kind for kind in ACCEPTED for ext in kind.extensions}
BY_KEY = {kind.key: kind for kind in ACCEPTED}
ACCEPTED_EXTENSIONS = tuple(BY_EXTENSION)
TEXT_KINDS = ("csv", "txt")
ARCHIVE_KINDS = ("zip", "xlsx", "docx")

# --- messages ---------------------------------------------------------------------------------

MSG_NAME_EMPTY = _("The file has no name.")
MSG_NAME_PATH = _("The file name may not contain “/” or “\\”. Rename the file and upload it again.")
MSG_NAME_NUL = _("The file name contains a NUL byte. Rename the file and upload it again.")
MSG_NAME_CONTROL = _("The file name contains control characters. Rename the file and upload it again.")
MSG_NAME_LONG = _("The file name is longer than %(max)s characters. Shorten it and upload the file again.")
MSG_EMPTY = _("The file is empty.")
MSG_TOO_LARGE = _("The file is larger than the limit of %(limit)s.")
MSG_EXECUTABLE = _("This file is a program (%(what)s), not a document. Programs are never accepted.")
MSG_NOT_ALLOWED = _("Files of this type are not accepted. Accepted: %(accepted)s.")
MSG_ACTIVE = _("This file is %(what)s, which can run scripts in a browser, although its name ends in "
               "%(ext)s. It is not accepted.")
MSG_MISMATCH = _("The file's content is %(what)s but its name ends in %(ext)s. Upload the original file or "
                 "give it the right extension.")
MSG_PDF_MALFORMED = _("This PDF is damaged and cannot be read.")
MSG_PDF_ENCRYPTED = _("This PDF is password-protected. Upload it without a password so that it can be "
                      "checked and read by reviewers and auditors.")
MSG_PDF_JS = _("This PDF contains JavaScript. Documents with scripts are not accepted: print it to a new PDF "
               "(or ask the issuer for a copy without scripts) and upload that.")
MSG_PDF_LAUNCH = _("This PDF contains an action that starts other programs. It is not accepted.")
MSG_PDF_RICH_MEDIA = _("This PDF contains embedded multimedia or Flash content. It is not accepted.")
MSG_ARCHIVE_MALFORMED = _("This archive is damaged and cannot be read.")
MSG_ARCHIVE_BOMB = _("This archive expands to far more data than it contains (%(detail)s). It is not accepted.")
MSG_ARCHIVE_NESTED = _("This archive contains archives nested more than %(depth)s level deep. Unpack it and "
                       "upload the documents themselves.")
MSG_ARCHIVE_ENCRYPTED = _("This archive contains password-protected files, which cannot be checked.")
MSG_ARCHIVE_PATHS = _("This archive contains file paths that point outside the archive.")
MSG_ARCHIVE_PROGRAM = _("This archive contains a program (%(name)s). Programs are never accepted.")
MSG_MACROS = _("This Office file contains macros. Save it without macros (xlsx/docx) and upload that.")

FLAG_LABELS: dict[str, str | Promise] = {
    "pdf_embedded_files": _("The PDF carries embedded files (not checked): %(files)s"),
    "pdf_xfa_form": _("The PDF contains an XFA form."),
    "pdf_not_fully_checked": _("The PDF has more objects than are checked; part of it was not inspected."),
    "duplicate": _("The same file (same SHA-256) is already in the vault."),
    "expired_at_upload": _("The expiry date had already passed when this revision was uploaded."),
}


@dataclass(frozen=True)
class Limits:
    archive_max_ratio: int = 200
    archive_max_expanded: int = 1024 ** 3
    archive_max_members: int = 10_000
    archive_max_depth: int = 1
    # Below this expanded size a high ratio is harmless (a small, very compressible file).
    archive_ratio_floor: int = 10 * 1024 * 1024
    pdf_max_nodes: int = 200_000


@dataclass(frozen=True)
class Inspection:
    kind: str
    content_type: str
    flags: tuple[dict[str, Any], ...] = field(default_factory=tuple)


# --- file names -------------------------------------------------------------------------------

_BIDI_AND_INVISIBLE = {"\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
                       "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff"}


def clean_filename(raw: str) -> str:
    """The name shown for a revision: NFC-normalised, surrounding spaces removed; refused (see the
    module docstring) rather than silently changed when unsafe."""
    if raw is None or not raw.strip():
        raise UploadRefused("filename_empty", MSG_NAME_EMPTY)
    if "\x00" in raw:
        raise UploadRefused("filename_nul", MSG_NAME_NUL)
    if "/" in raw or "\\" in raw:
        raise UploadRefused("filename_path", MSG_NAME_PATH)
    if any(unicodedata.category(ch) == "Cc" or ch in _BIDI_AND_INVISIBLE for ch in raw):
        raise UploadRefused("filename_control", MSG_NAME_CONTROL)
    name = unicodedata.normalize("NFC", raw).strip()
    if len(name) > MAX_FILENAME_LENGTH:
        raise UploadRefused("filename_too_long", MSG_NAME_LONG, max=MAX_FILENAME_LENGTH)
    if name in (".", ".."):
        raise UploadRefused("filename_empty", MSG_NAME_EMPTY)
    return name


def extension_of(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return suffix if len(suffix) > 1 else ""


# --- sniffing ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sniffed:
    kind: str  # an ACCEPTED key, or executable / html / svg / xml / archive / text / unknown / other
    what: str | Promise  # how to name it in a message


_EXECUTABLE_MAGIC: tuple[tuple[bytes, str | Promise], ...] = (
    (b"MZ", _("a Windows program")),
    (b"\x7fELF", _("a Linux program")),
    (b"\xfe\xed\xfa\xce", _("a macOS program")),
    (b"\xfe\xed\xfa\xcf", _("a macOS program")),
    (b"\xce\xfa\xed\xfe", _("a macOS program")),
    (b"\xcf\xfa\xed\xfe", _("a macOS program")),
    (b"\xca\xfe\xba\xbe", _("a macOS or Java program")),
    (b"#!", _("a script")),
    (b"L\x00\x00\x00\x01\x14\x02\x00", _("a Windows shortcut")),
)
_ARCHIVE_MAGIC = (b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07", b"BZh", b"\xfd7zXZ\x00", b"PK\x03\x04",
                  b"PK\x05\x06")
# Programs inside archives (scripts and shortcuts are caught by their extension there).
_PROGRAM_MAGIC = tuple(magic for magic, _what in _EXECUTABLE_MAGIC
                       if magic not in (b"#!", b"L\x00\x00\x00\x01\x14\x02\x00"))
_MARKUP = re.compile(rb"<\s*(!doctype\s+html|html|head|body|script|iframe|svg|\?xml|object|embed)\b", re.I)


def _markup_kind(head: bytes) -> Sniffed | None:
    probe = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    match = _MARKUP.search(probe[:2048])
    if match is None or (probe[:1] != b"<" and match.start() > 512):
        return None
    tag = match.group(1).lower()
    if b"svg" in tag or re.search(rb"<\s*svg\b", probe, re.I):
        return Sniffed("svg", _("an SVG image"))
    if tag.startswith(b"?xml"):
        return Sniffed("xml", _("an XML document"))
    return Sniffed("html", _("a web page (HTML)"))


def _ooxml_kind(path: Path) -> Sniffed:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return Sniffed("zip", BY_KEY["zip"].label)
    if "AndroidManifest.xml" in names or "META-INF/MANIFEST.MF" in names and any(
            n.endswith(".class") for n in names):
        return Sniffed("executable", _("a Java or Android program"))
    if "[Content_Types].xml" in names:
        if any(n.startswith("xl/") for n in names):
            return Sniffed("xlsx", BY_KEY["xlsx"].label)
        if any(n.startswith("word/") for n in names):
            return Sniffed("docx", BY_KEY["docx"].label)
        return Sniffed("other", _("an Office document of another kind"))
    return Sniffed("zip", BY_KEY["zip"].label)


def _looks_like_text(head: bytes, complete: bool) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=complete)
            return True
        except UnicodeDecodeError:
            continue
    return False


def _puremagic_label(path: Path) -> str | None:
    import puremagic

    try:
        matches = puremagic.magic_file(str(path))
    except (puremagic.PureError, OSError, ValueError):
        return None
    if not matches:
        return None
    best = max(matches, key=lambda m: m.confidence)
    return best.name or best.mime_type or best.extension


def sniff(path: Path) -> Sniffed:
    """What the bytes are, whatever the name says (magic numbers first, puremagic for the long tail)."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
        complete = len(head) < HEAD_BYTES
    for magic, what in _EXECUTABLE_MAGIC:
        if head.startswith(magic):
            return Sniffed("executable", what)
    if head.startswith(b"%PDF-"):
        return Sniffed("pdf", BY_KEY["pdf"].label)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("png", BY_KEY["png"].label)
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("jpeg", BY_KEY["jpeg"].label)
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return Sniffed("tiff", BY_KEY["tiff"].label)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("webp", BY_KEY["webp"].label)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _ooxml_kind(path)
    if head.startswith(_ARCHIVE_MAGIC):
        return Sniffed("archive", _("a compressed archive of another format"))
    markup = _markup_kind(head)
    if markup is not None:
        return markup
    if _looks_like_text(head, complete):
        return Sniffed("text", _("plain text"))
    label = _puremagic_label(path)
    return Sniffed("other", label or _("of an unknown type"))


# --- PDF ----------------------------------------------------------------------------------------

class _TooManyNodes(Exception):
    pass


class _PdfWalk:
    """Follows only the catalogue entries where actions and attachments live (never page contents or
    other streams, which may be huge): names trees, open/additional actions, form fields, outlines,
    page annotations."""

    def __init__(self, reader: Any, limits: Limits) -> None:
        self.reader = reader
        self.limits = limits
        self.nodes = 0
        self.embedded: list[str] = []
        self.xfa = False
        self.truncated = False

    def _resolve(self, value: Any) -> Any:
        self.nodes += 1
        if self.nodes > self.limits.pdf_max_nodes:
            self.truncated = True
            raise _TooManyNodes
        return value.get_object() if hasattr(value, "get_object") else value

    def action(self, value: Any, depth: int = 0) -> None:
        if value is None or depth > 50:
            return
        value = self._resolve(value)
        if isinstance(value, list):
            for item in value:
                self.action(item, depth + 1)
            return
        if not isinstance(value, dict):
            return
        kind = str(value.get("/S", ""))
        if kind == "/JavaScript" or "/JS" in value:
            raise UploadRefused("pdf_javascript", MSG_PDF_JS)
        if kind == "/Launch":
            raise UploadRefused("pdf_launch", MSG_PDF_LAUNCH)
        if kind == "/Rendition" and "/JS" in value:
            raise UploadRefused("pdf_javascript", MSG_PDF_JS)
        self.action(value.get("/Next"), depth + 1)

    def additional_actions(self, holder: dict) -> None:
        aa = holder.get("/AA")
        if aa is not None:
            aa = self._resolve(aa)
            if isinstance(aa, dict):
                for key in list(aa.keys()):
                    self.action(aa[key])

    def name_tree(self, node: Any, depth: int = 0) -> Iterator[tuple[str, Any]]:
        if node is None or depth > 32:
            return
        node = self._resolve(node)
        if not isinstance(node, dict):
            return
        names = node.get("/Names")
        if names is not None:
            names = self._resolve(names)
            for i in range(0, len(names) - 1, 2):
                yield str(names[i]), names[i + 1]
        for kid in self._resolve(node.get("/Kids")) or []:
            yield from self.name_tree(kid, depth + 1)

    def filespec_name(self, spec: Any, fallback: str) -> str:
        spec = self._resolve(spec)
        if isinstance(spec, dict):
            for key in ("/UF", "/F"):
                if key in spec:
                    value = self._resolve(spec[key])
                    if isinstance(value, str):
                        return value
        return fallback

    def fields(self, items: Any, depth: int = 0) -> None:
        if items is None or depth > 32:
            return
        for item in self._resolve(items) or []:
            node = self._resolve(item)
            if isinstance(node, dict):
                self.action(node.get("/A"))
                self.additional_actions(node)
                self.fields(node.get("/Kids"), depth + 1)

    def outlines(self, node: Any) -> None:
        seen = 0
        stack = [node]
        while stack:
            current = self._resolve(stack.pop())
            if not isinstance(current, dict) or seen > 100_000:
                continue
            seen += 1
            self.action(current.get("/A"))
            for key in ("/First", "/Next"):
                if current.get(key) is not None:
                    stack.append(current[key])

    def annotations(self, page: dict) -> None:
        annots = page.get("/Annots")
        if annots is None:
            return
        for item in self._resolve(annots) or []:
            annot = self._resolve(item)
            if not isinstance(annot, dict):
                continue
            subtype = str(annot.get("/Subtype", ""))
            if subtype == "/RichMedia":
                raise UploadRefused("pdf_rich_media", MSG_PDF_RICH_MEDIA)
            if subtype == "/FileAttachment":
                self.embedded.append(self.filespec_name(annot.get("/FS"), "attachment"))
            self.action(annot.get("/A"))
            self.additional_actions(annot)

    def run(self) -> None:
        root = self._resolve(self.reader.trailer["/Root"])
        names = self._resolve(root.get("/Names"))
        if isinstance(names, dict):
            if names.get("/JavaScript") is not None:  # document-level scripts, run when the file opens
                raise UploadRefused("pdf_javascript", MSG_PDF_JS)
            if names.get("/EmbeddedFiles") is not None:
                for name, spec in self.name_tree(names["/EmbeddedFiles"]):
                    self.embedded.append(self.filespec_name(spec, name))
        self.action(root.get("/OpenAction"))
        self.additional_actions(root)
        form = self._resolve(root.get("/AcroForm"))
        if isinstance(form, dict):
            self.xfa = form.get("/XFA") is not None
            self.fields(form.get("/Fields"))
        if root.get("/Outlines") is not None:
            outlines = self._resolve(root["/Outlines"])
            if isinstance(outlines, dict) and outlines.get("/First") is not None:
                self.outlines(outlines["/First"])
        for page in self.reader.pages:
            self.nodes += 1
            if self.nodes > self.limits.pdf_max_nodes:
                self.truncated = True
                raise _TooManyNodes
            self.additional_actions(page)
            self.annotations(page)


def inspect_pdf(path: Path, limits: Limits) -> list[dict[str, Any]]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    flags: list[dict[str, Any]] = []
    with open(path, "rb") as fh:  # a file object: pypdf reads a path into memory whole
        try:
            reader = PdfReader(fh, strict=False)
            if reader.is_encrypted:
                try:
                    opened = reader.decrypt("")
                except (PyPdfError, NotImplementedError, ValueError, KeyError):
                    opened = 0
                if not opened:
                    raise UploadRefused("pdf_encrypted", MSG_PDF_ENCRYPTED)
            walk = _PdfWalk(reader, limits)
            try:
                walk.run()
            except _TooManyNodes:
                pass
        except UploadRefused:
            raise
        except (PyPdfError, KeyError, ValueError, TypeError, AttributeError, IndexError, OSError,
                RecursionError, AssertionError) as exc:
            raise UploadRefused("pdf_malformed", MSG_PDF_MALFORMED) from exc
    if walk.embedded:
        flags.append({"code": "pdf_embedded_files", "files": sorted(set(walk.embedded))[:50]})
    if walk.xfa:
        flags.append({"code": "pdf_xfa_form"})
    if walk.truncated:
        flags.append({"code": "pdf_not_fully_checked"})
    return flags


# --- archives ----------------------------------------------------------------------------------

_NESTED_EXTENSIONS = (".zip", ".gz", ".tgz", ".7z", ".rar", ".tar", ".bz2", ".xz", ".jar", ".apk", ".xlsx",
                      ".docx", ".xlsm", ".docm", ".pptx", ".cab", ".iso")
_PROGRAM_EXTENSIONS = (".exe", ".dll", ".scr", ".com", ".bat", ".cmd", ".ps1", ".vbs", ".js", ".jse", ".wsf",
                       ".msi", ".lnk", ".sh", ".jar", ".apk", ".app", ".elf", ".so", ".dylib", ".hta")


class _Budget:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.expanded = 0

    def spend(self, n: int) -> None:
        self.expanded += n
        if self.expanded > self.limits.archive_max_expanded:
            raise UploadRefused("archive_bomb", MSG_ARCHIVE_BOMB,
                                detail=_("more than %(n)s MB expanded") % {
                                    "n": self.limits.archive_max_expanded // (1024 * 1024)})


def _check_archive(source: str | Path | IO[bytes], compressed_size: int, limits: Limits, budget: _Budget,
                   depth: int) -> None:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise UploadRefused("archive_malformed", MSG_ARCHIVE_MALFORMED) from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.archive_max_members:
            raise UploadRefused("archive_bomb", MSG_ARCHIVE_BOMB,
                                detail=_("%(n)s files") % {"n": len(infos)})
        declared = sum(info.file_size for info in infos)
        if declared > limits.archive_ratio_floor and declared > limits.archive_max_ratio * max(compressed_size, 1):
            raise UploadRefused("archive_bomb", MSG_ARCHIVE_BOMB,
                                detail=_("ratio %(r)s to 1") % {"r": declared // max(compressed_size, 1)})
        actual_total = 0
        for info in infos:
            name = info.filename
            if info.flag_bits & 0x1:
                raise UploadRefused("archive_encrypted", MSG_ARCHIVE_ENCRYPTED)
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
                raise UploadRefused("archive_unsafe_paths", MSG_ARCHIVE_PATHS)
            lower = name.lower()
            if lower.endswith("vbaproject.bin"):
                raise UploadRefused("office_macros", MSG_MACROS)
            if lower.endswith(_PROGRAM_EXTENSIONS):
                raise UploadRefused("archive_executable", MSG_ARCHIVE_PROGRAM, name=name[-80:])
            if info.is_dir():
                continue
            nested = lower.endswith(_NESTED_EXTENSIONS)
            spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) if nested else None
            size = 0
            try:
                with archive.open(info) as member:
                    first = True
                    while chunk := member.read(CHUNK):
                        if first:
                            first = False
                            if chunk.startswith(_PROGRAM_MAGIC):
                                raise UploadRefused("archive_executable", MSG_ARCHIVE_PROGRAM, name=name[-80:])
                            if chunk.startswith(_ARCHIVE_MAGIC):
                                nested = True
                                if spool is None:
                                    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
                        size += len(chunk)
                        budget.spend(len(chunk))
                        if size > info.file_size:  # the declared size lied
                            raise UploadRefused("archive_bomb", MSG_ARCHIVE_BOMB,
                                                detail=_("sizes declared falsely"))
                        if nested and spool is not None:
                            spool.write(chunk)
                actual_total += size
                if actual_total > limits.archive_ratio_floor and (
                        actual_total > limits.archive_max_ratio * max(compressed_size, 1)):
                    raise UploadRefused("archive_bomb", MSG_ARCHIVE_BOMB,
                                        detail=_("ratio %(r)s to 1") % {"r": actual_total // max(compressed_size, 1)})
                if nested and spool is not None:
                    if depth + 1 > limits.archive_max_depth:
                        raise UploadRefused("archive_nested", MSG_ARCHIVE_NESTED, depth=limits.archive_max_depth)
                    spool.seek(0)
                    if spool.read(4).startswith(b"PK"):
                        spool.seek(0)
                        _check_archive(spool, info.compress_size, limits, budget, depth + 1)
                    else:
                        # gzip, 7z, rar ... inside: we cannot look into them, so they count as too deep.
                        raise UploadRefused("archive_nested", MSG_ARCHIVE_NESTED, depth=0)
            except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
                raise UploadRefused("archive_malformed", MSG_ARCHIVE_MALFORMED) from exc
            finally:
                if spool is not None:
                    spool.close()


def inspect_archive(path: Path, limits: Limits) -> list[dict[str, Any]]:
    _check_archive(path, path.stat().st_size, limits, _Budget(limits), depth=0)
    return []


# --- the whole inspection -------------------------------------------------------------------

def accepted_list() -> str:
    return ", ".join(ext.lstrip(".") for ext in ACCEPTED_EXTENSIONS)


def inspect_file(path: Path, filename: str, limits: Limits | None = None) -> Inspection:
    """Refuse or accept the complete local file `path` uploaded as `filename` (already cleaned)."""
    limits = limits or Limits()
    extension = extension_of(filename)
    sniffed = sniff(path)
    if sniffed.kind == "executable":
        raise UploadRefused("executable", MSG_EXECUTABLE, what=sniffed.what)
    expected = BY_EXTENSION.get(extension)
    if expected is None:
        raise UploadRefused("type_not_allowed", MSG_NOT_ALLOWED, accepted=accepted_list())
    if sniffed.kind in ("html", "svg", "xml"):
        raise UploadRefused("active_content", MSG_ACTIVE, what=sniffed.what, ext=extension)
    matches = sniffed.kind == expected.key or (expected.key in TEXT_KINDS and sniffed.kind == "text")
    if not matches:
        raise UploadRefused("type_mismatch", MSG_MISMATCH, what=sniffed.what, ext=extension)
    flags: list[dict[str, Any]] = []
    if expected.key == "pdf":
        flags.extend(inspect_pdf(path, limits))
    elif expected.key in ARCHIVE_KINDS:
        flags.extend(inspect_archive(path, limits))
    elif expected.key in TEXT_KINDS:
        _check_text_body(path, extension)
    return Inspection(kind=expected.key, content_type=expected.content_type, flags=tuple(flags))


def _check_text_body(path: Path, extension: str) -> None:
    """A CSV/TXT must be text throughout (the head was checked by sniff); read at most 16 MB."""
    remaining = 16 * 1024 * 1024
    with open(path, "rb") as fh:
        while remaining > 0 and (chunk := fh.read(min(CHUNK, remaining))):
            if b"\x00" in chunk:
                raise UploadRefused("type_mismatch", MSG_MISMATCH, what=_("binary data"), ext=extension)
            remaining -= len(chunk)
