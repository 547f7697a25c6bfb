"""The demo seed: sinoev's shipment to ecocycle with its evidence; a second run adds nothing."""
from django_tenants.utils import schema_context

from apps.accounts.demo import seed as seed_accounts
from apps.evidence.demo import SHIPMENT_REFERENCE
from apps.evidence.demo import seed as seed_evidence
from apps.evidence.models import Evidence, EvidenceRevision
from apps.traceability.models import Shipment


def test_demo_evidence_is_seeded_once_with_every_review_state(db, vault):
    for _run in range(2):
        context: dict = {}
        seed_accounts(context)
        seed_evidence(context)
    with schema_context("sinoev"):
        shipment = Shipment.objects.get(reference=SHIPMENT_REFERENCE)
        assert Evidence.objects.count() == 5 and set(shipment.evidence.values_list("doc_type", flat=True)) == {
            "contract", "transport_manifest", "customs_declaration", "dangerous_goods_declaration",
            "recycler_permit"}
        statuses = dict(EvidenceRevision.objects.values_list("evidence__doc_type", "status"))
        assert statuses["customs_declaration"] == "submitted"
        assert statuses["dangerous_goods_declaration"] == "rejected"
        assert sorted(statuses.values()).count("accepted") == 3
        rejected = EvidenceRevision.objects.get(status="rejected")
        assert rejected.rejection_reason and rejected.reviewed_by_label == "manager@sinoev.demo"
        assert all(r.content_type == "application/pdf" and r.size > 1000 for r in EvidenceRevision.objects.all())
    assert len(vault.stored()) == 5
