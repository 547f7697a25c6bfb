"""Public verification of a dossier: by the SHA-256 of the file, against the registry of issued files.

Reveals only the organisation, the scope label, when it was issued and whether it was superseded.
A file that carries a Cellpass manifest but whose hash was never issued was modified after issue;
any other file comes from elsewhere. Uploaded bytes are hashed and dropped, never stored.
"""
import hashlib
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from . import selectors
from .manifest import read_manifest
from .registry.models import IssuedDossier

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")

MESSAGES = {
    "issued": _("This dossier was issued by Cellpass and has not been changed since."),
    "superseded": _("This dossier was issued by Cellpass and has not been changed since, but a newer dossier "
                    "for the same scope superseded it."),
    "tampered": _("Rejected: this file claims to be a Cellpass dossier, but it differs from every file Cellpass "
                  "issued. It was modified after issue; do not rely on it."),
    "unknown": _("Rejected: Cellpass never issued a file with this fingerprint. The file comes from elsewhere "
                 "or was modified."),
    "not_pdf": _("Rejected: the file is not a PDF."),
    "too_large": _("Rejected: the file is larger than %(limit)s MB, larger than any dossier Cellpass issues."),
    "bad_hash": _("Enter the 64 hexadecimal characters of the SHA-256, or upload the PDF."),
    "empty": _("Upload a dossier PDF or type its SHA-256."),
}


@dataclass(frozen=True)
class Verdict:
    code: str
    entry: IssuedDossier | None = None
    sha256: str = ""

    @property
    def accepted(self) -> bool:
        return self.code in ("issued", "superseded")


def verify_hash(text: str) -> Verdict:
    digest = (text or "").strip().lower()
    if not SHA256_RE.match(digest):
        return Verdict("bad_hash")
    entry = selectors.registry_lookup(sha256=digest)
    if entry is None:
        return Verdict("unknown", sha256=digest)
    return Verdict("superseded" if entry.superseded else "issued", entry, digest)


def verify_file(chunks, head: bytes, read_all) -> Verdict:
    """`chunks` iterates the upload; `head` is its first bytes; `read_all()` returns the whole file
    (only called when the hash is unknown, to tell a modified dossier from a foreign file)."""
    if not head.lstrip()[:5].startswith(b"%PDF-"):
        return Verdict("not_pdf")
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    verdict = verify_hash(digest.hexdigest())
    if verdict.code != "unknown":
        return verdict
    manifest = read_manifest(read_all())
    if manifest is not None and selectors.registry_by_dossier(dossier_id=manifest.get("dossier_id", "")):
        return Verdict("tampered", sha256=verdict.sha256)
    return verdict
