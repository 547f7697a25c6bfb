"""Writing the documents of custody steps into an organisation's own evidence vault (its schema).

Uses the evidence models directly: a new `Evidence` with revision 1 carrying the file's SHA-256, size and
sniffed type, linked to the shipment (and lots) it is evidence for. To be replaced by the vault's own
upload service once it is on main; callers only see `evidence_file_add`.
Must run inside the target organisation's schema and inside the caller's transaction.
"""
from collections.abc import Iterable
from datetime import date
from typing import Any

from apps.activity.services import Actor
from apps.evidence.models import Evidence, EvidenceRevision, EvidenceSource
from apps.traceability.models import MaterialLot, Shipment

from .storage import StoredFile


def evidence_file_add(*, doc_type: str, title: str, stored: StoredFile, actor: Actor, source: str,
                      reference: str = "", issuer: str = "", effective_date: date | None = None,
                      key_fields: dict[str, Any] | None = None, shipments: Iterable[Shipment] = (),
                      lots: Iterable[MaterialLot] = ()) -> EvidenceRevision:
    evidence = Evidence.objects.create(doc_type=doc_type, title=title[:300], reference=reference[:100],
                                       issuer=issuer[:200], source=source or EvidenceSource.UPLOAD,
                                       created_by_id=actor.id)
    if shipments:
        evidence.shipments.add(*shipments)
    if lots:
        evidence.lots.add(*lots)
    return EvidenceRevision.objects.create(
        evidence=evidence, number=1, storage_name=stored.storage_name, original_filename=stored.original_filename,
        sha256=stored.sha256, size=stored.size, content_type=stored.content_type, effective_date=effective_date,
        key_fields=key_fields or {}, uploaded_by_id=actor.id, uploaded_by_label=actor.label[:254])
