"""The machine-readable manifest embedded in every dossier, the seal, and their offline checks.

- The manifest (JSON, attached to the PDF/A-3 file as `cellpass-manifest.json`, relationship
  /Data) carries the scope, the snapshot digest, every evidence SHA-256, the checklist evaluations
  (with their inputs digests) and results, the custody ledger head (and each transfer's head), the
  findings' references, the Art 8 inputs and the page count.
- The seal: after the PDF/A file P is complete, one incremental update adds `/CellpassSeal` =
  `sha256:<hex of P>:<length of P>` to the document information dictionary. The update is a pure
  function of P, so a verifier recomputes it and compares the whole file: one byte changed anywhere
  breaks it. The seal proves integrity, not origin (anyone can re-seal a forged file): whether the
  platform issued a file is answered by the public registry of issued hashes.

Pure apart from parsing PDF bytes with pypdf.
"""
import hashlib
import json
import re
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from apps.core.hashing import canonical_json, sha256_hex

from .snapshot import Snapshot

MANIFEST_NAME = "cellpass-manifest.json"
MANIFEST_FORMAT = "cellpass-dossier-manifest/1"
SEAL_KEY = "/CellpassSeal"
_SEAL_RE = re.compile(r"^sha256:([0-9a-f]{64}):(\d+)$")


def build_manifest(snapshot: Snapshot, *, digest: str, page_count: int, verify_url: str,
                   attached_files: tuple[str, ...] = ()) -> dict[str, Any]:
    cover = snapshot.cover
    return {
        "format": MANIFEST_FORMAT,
        "dossier_id": cover.dossier_id,
        "issued_at": cover.issued_at,
        "issuer": cover.issuer_label,
        "language": cover.language,
        "organisation": {"id": cover.organisation_id, "name_en": cover.organisation_name_en,
                         "name_zh": cover.organisation_name_zh, "country": cover.organisation_country},
        "scope": {"kind": cover.scope.kind, "label": cover.scope.label, "shipment_id": cover.scope.shipment_id,
                  "model_id": cover.scope.model_id, "year": cover.scope.year, "plant": cover.scope.plant,
                  "period_start": cover.scope.period_start, "period_end": cover.scope.period_end},
        "protocol_versions": [{"protocol": p.protocol, "version": p.version} for p in cover.protocol_versions],
        "snapshot_digest": digest,
        "page_count": page_count,
        "unit_count": len(snapshot.units),
        "verify_url": verify_url,
        "evidence": [{"evidence_id": e.evidence_id, "revision_id": e.revision_id, "revision": e.revision,
                      "doc_type": e.doc_type, "title": e.title, "file_name": e.original_filename,
                      "sha256": e.sha256, "size": e.size, "file_present": e.file_present,
                      "attached": e.revision_id in attached_files}
                     for e in snapshot.evidence],
        "checklist": {"available": snapshot.checklist.available, "evaluated_at": snapshot.checklist.evaluated_at,
                      "evaluations": [{"evaluation_id": e.evaluation_id, "protocol": e.protocol, "version": e.version,
                                       "scope_kind": e.scope_kind, "scope_id": e.scope_id, "status": e.status,
                                       "met": e.met, "applicable": e.applicable, "evaluated_at": e.evaluated_at,
                                       "inputs_digest": e.inputs_digest, "protocol_digest": e.protocol_digest}
                                      for e in snapshot.checklist.evaluations],
                      "results": [{"evaluation_id": r.evaluation_id, "protocol": r.protocol, "code": r.code,
                                   "status": r.status, "severity": r.severity, "qualifier": r.qualifier,
                                   "evidence_ids": list(r.evidence_ids)}
                                  for r in snapshot.checklist.results]},
        "custody": {"available": snapshot.custody.available, "ledger_head": snapshot.custody.head_hash,
                    "entries": len(snapshot.custody.entries), "verified": snapshot.custody.verified,
                    "transfers": [{"transfer_id": t.transfer_id, "shipment": t.shipment, "status": t.status,
                                   "ledger_length": t.ledger_length, "ledger_head": t.ledger_head,
                                   "lots_sha256": t.lots_sha256, "certificate_number": t.certificate_number,
                                   "certificate_sha256": t.certificate_sha256}
                                  for t in snapshot.custody.transfers]},
        "findings": [{"reference": f.reference, "severity": f.severity, "status": f.status,
                      "target_kind": f.target_kind, "target_id": f.target_id, "messages": 1 + len(f.answers)}
                     for f in snapshot.findings.findings],
        "recycled_content": {"evaluation_id": snapshot.recycled.evaluation_id, "status": snapshot.recycled.status,
                             "inputs_digest": snapshot.recycled.inputs_digest,
                             "inputs_current": snapshot.recycled.inputs_current,
                             "declarations": [d.revision_id for d in snapshot.recycled.declarations]}
        if snapshot.recycled.available else None,
    }


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return canonical_json(manifest)


# --- seal ---------------------------------------------------------------------------------

def _startxref(pdf: bytes) -> int:
    tail = pdf[-2048:]
    match = list(re.finditer(rb"startxref\s+(\d+)\s+%%EOF", tail))
    if not match:
        raise ValueError("no startxref")
    return int(match[-1].group(1))


def seal_update(body: bytes) -> bytes:
    """The incremental update that seals `body` (deterministic: same body, same bytes)."""
    from pypdf import PdfReader
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    reader = PdfReader(BytesIO(body))
    trailer = reader.trailer
    size = int(trailer["/Size"])
    root = trailer.raw_get("/Root")
    info_ref = trailer.raw_get("/Info") if "/Info" in trailer else None
    info = DictionaryObject()
    if info_ref is not None:
        for key, value in info_ref.get_object().items():
            info[NameObject(key)] = value
    info[NameObject(SEAL_KEY)] = TextStringObject(f"sha256:{sha256_hex(body)}:{len(body)}")
    stream = BytesIO()
    info.write_to_stream(stream)
    ids = trailer.get("/ID")
    id_part = ""
    if ids:
        first, second = (getattr(i, "original_bytes", None) or bytes(i) for i in (ids[0], ids[1]))
        id_part = f" /ID [<{first.hex()}> <{second.hex()}>]"
    prefix = b"" if body.endswith(b"\n") else b"\n"
    obj_offset = len(body) + len(prefix)
    obj = f"{size} 0 obj\n".encode() + stream.getvalue() + b"\nendobj\n"
    xref_offset = obj_offset + len(obj)
    xref = (f"xref\n{size} 1\n{obj_offset:010d} 00000 n \n"
            f"trailer\n<< /Size {size + 1} /Root {root.idnum} {root.generation} R /Info {size} 0 R"
            f" /Prev {_startxref(body)}{id_part} >>\nstartxref\n{xref_offset}\n%%EOF\n").encode()
    return prefix + obj + xref


def seal(body: bytes) -> bytes:
    return body + seal_update(body)


@dataclass
class Check:
    """Result of the offline checks; `problems` are stable codes with a human sentence."""

    sealed: bool = False
    intact: bool = False
    signature: Any = None  # signing.SignatureCheck when the sealed file was signed afterwards
    manifest: dict[str, Any] | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)
    evidence: list[tuple[str, str, str]] = field(default_factory=list)  # (status, file name, sha256)

    @property
    def ok(self) -> bool:
        return self.intact and self.manifest is not None and not self.problems


def read_manifest(pdf: bytes) -> dict[str, Any] | None:
    """The embedded manifest, or None when the file has none (or is not a readable PDF)."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(BytesIO(pdf))
        attachments = reader.attachments
    except Exception:  # noqa: BLE001 - any unreadable file simply has no manifest
        return None
    data = attachments.get(MANIFEST_NAME)
    if not data:
        return None
    try:
        manifest = json.loads(data[0])
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        return None
    return manifest


def check_pdf(pdf: bytes, trust: list | None = None) -> Check:
    """Offline checks: the seal covers every byte (or every byte but a PAdES signature made after it, which must
    then be intact and, given `trust`, made with a trusted certificate: signing.py), the manifest is present and
    agrees with the PDF."""
    from pypdf import PdfReader

    check = Check()
    try:
        reader = PdfReader(BytesIO(pdf))
        info = reader.trailer.get("/Info")
        seal_value = str(info.get_object().get(SEAL_KEY, "")) if info else ""
        page_count = len(reader.pages)
    except Exception:  # noqa: BLE001 - not a PDF at all
        check.problems.append(("not_pdf", "The file is not a readable PDF."))
        return check
    match = _SEAL_RE.match(seal_value)
    if not match:
        check.problems.append(("no_seal", "The file carries no Cellpass seal."))
    else:
        check.sealed = True
        digest, length = match.group(1), int(match.group(2))
        body = pdf[:length]
        sealed = seal(body) if length <= len(pdf) and hashlib.sha256(body).hexdigest() == digest else b""
        if sealed and sealed == pdf:
            check.intact = True
        elif sealed and pdf.startswith(sealed):
            from . import signing

            check.signature = signing.check(pdf, len(sealed), trust)
            check.problems += check.signature.problems
            check.intact = check.signature.intact
        else:
            check.problems.append(("seal_broken", "The file was changed after it was sealed."))
        if check.intact and check.signature is None and b"/ByteRange" in pdf:
            from . import signing

            if signing.has_signature(pdf):  # signed, then changed and sealed again: the signature is stale
                check.problems.append(("signature_not_last",
                                       "The file carries a signature that does not cover all of it."))
    check.manifest = read_manifest(pdf[: int(match.group(2))] if match and check.intact else pdf)
    if check.manifest is None:
        check.problems.append(("no_manifest", "The file has no Cellpass manifest."))
        return check
    if check.manifest.get("page_count") != page_count:
        check.problems.append(("page_count", "The page count differs from the manifest."))
    return check


def check_evidence(check: Check, files: dict[str, bytes | str]) -> None:
    """Compare evidence files (name -> bytes or precomputed sha256) with the manifest's list."""
    if check.manifest is None:
        return
    hashes = {name: (value if isinstance(value, str) else sha256_hex(value)) for name, value in files.items()}
    by_hash = {digest: name for name, digest in hashes.items()}
    for item in check.manifest.get("evidence", []):
        name = by_hash.get(item["sha256"])
        if name is not None:
            check.evidence.append(("match", name, item["sha256"]))
        elif item.get("file_name") in hashes:
            check.evidence.append(("modified", item["file_name"], hashes[item["file_name"]]))
            check.problems.append(("evidence_modified", f"{item['file_name']} differs from the issued file."))
        else:
            check.evidence.append(("missing", item.get("file_name", ""), item["sha256"]))
    known = {item["sha256"] for item in check.manifest.get("evidence", [])}
    for name, digest in sorted(hashes.items()):
        if digest not in known and name not in {i.get("file_name") for i in check.manifest.get("evidence", [])}:
            check.evidence.append(("unknown", name, digest))
