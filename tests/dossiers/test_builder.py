"""The snapshot reads the real apps: the latest checklist evaluations, the custody ledger and its facts,
the auditors' findings with their threads, and, for a model and year, the Art 8 inputs. The number of
queries does not grow with the scope."""
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.roles import Role
from apps.checklists.models import Evaluation
from apps.custody.models import Transfer
from apps.dossiers import builder, manifest, rendering
from apps.dossiers.snapshot import snapshot_digest, snapshot_from_dict, snapshot_to_dict
from apps.evidence.models import Evidence, EvidenceRevision
from apps.traceability.models import BatteryModel, BatteryUnit, LotElement, MaterialLot
from tests.dossiers.conftest import (
    add_evidence,
    custody_pathway,
    evaluate_checklists,
    make_shipment,
    raise_finding,
)

WHEN = datetime(2026, 6, 1, tzinfo=UTC)


def snapshot_of(scope, organisation):
    return builder.build_snapshot(scope=scope, dossier_id=uuid4(), organisation=organisation, language="zh-hans",
                                  issuer_label="staff@alpha.test", issued_at=WHEN)


@pytest.fixture
def people(alpha, beta, member_access):
    return {"owner": member_access(alpha, Role.OWNER)[1], "staff": member_access(alpha, Role.STAFF)[1],
            "manager": member_access(alpha, Role.COMPLIANCE_MANAGER)[1],
            "recycler": member_access(beta, Role.STAFF)[1]}


@pytest.fixture
def demo_like(alpha, beta, people, in_tenant):
    """A shipment with a contract and a transport manifest, dispatched to beta and certified, evaluated
    under two protocols, with a finding on it and one on a requirement."""
    with in_tenant(alpha):
        shipment = make_shipment("SHP-DL-1", units=6)
        add_evidence(shipment, title="运输单据 CMR", doc_type="transport_manifest")
    transfer = custody_pathway(people["staff"], people["recycler"], shipment, beta)
    with in_tenant(alpha):
        evaluate_checklists(people["owner"], shipment)
        raise_finding(alpha, people["manager"], target_kind="shipment", target_id=str(shipment.pk),
                      title="Weighbridge ticket unreadable")
        raise_finding(alpha, people["manager"], target_kind="requirement", target_id="recycling-certificate",
                      title="Certificate names no plant")
        raise_finding(alpha, people["manager"], target_kind="requirement", target_id="cf_declaration",
                      title="Not about this shipment")
    return shipment, transfer


def test_shipment_snapshot_holds_evaluations_custody_flow_and_findings(alpha, beta, demo_like, in_tenant):
    shipment, transfer = demo_like
    with in_tenant(alpha):
        snapshot = snapshot_of(builder.ScopeRef(kind="shipment", shipment=shipment), alpha)
        latest = {e.protocol_id: e for e in Evaluation.objects.filter(scope_id=str(shipment.pk))}

    checklist = snapshot.checklist
    assert checklist.available and {e.protocol for e in checklist.evaluations} == {"cn-export-2026", "gbt34014-codes"}
    export = next(e for e in checklist.evaluations if e.protocol == "cn-export-2026")
    assert export.evaluation_id == str(latest["cn-export-2026"].pk)
    assert export.title_zh == "废旧动力电池及再生材料出口（中国 2026）"
    assert export.inputs_digest == latest["cn-export-2026"].inputs_digest
    # the engine's statuses, not squashed, with reasons in both languages and the revisions used
    statuses = {r.code: r for r in checklist.results if r.protocol == "cn-export-2026"}
    assert {r.status for r in checklist.results} <= {"met", "missing", "failed", "expiring_soon", "not_applicable"}
    manifest_result = statuses["transport_manifest"]
    with in_tenant(alpha):
        manifest_revision = EvidenceRevision.objects.get(evidence__doc_type="transport_manifest")
    assert manifest_result.evidence_ids == (str(manifest_revision.pk),)
    assert statuses["contract"].reason_zh and statuses["contract"].reason_zh != statuses["contract"].reason_en
    assert [p.protocol for p in snapshot.cover.protocol_versions] == ["cn-export-2026", "gbt34014-codes"]

    custody = snapshot.custody
    assert custody.available and custody.verified and custody.problems == ()
    assert custody.head_hash == transfer.ledger_head and len(custody.entries) == transfer.ledger_length == 4
    assert [e.kind for e in custody.entries] == ["dispatched", "received", "processed", "certified"]
    assert custody.entries[0].prev_hash == "0" * 64 and custody.entries[1].prev_hash == custody.entries[0].hash
    assert "已发运" in custody.entries[0].summary_zh and "Dispatched" in custody.entries[0].summary_en
    (summary,) = custody.transfers
    assert (summary.shipment, summary.status, summary.receiver) == ("SHP-DL-1", "certified", beta.name_en)
    assert summary.certificate_number == "CR-SHP-DL-1" and summary.received_kg == "1791.000"

    flow = snapshot.material_flow
    assert flow.shipments[0].mass_kg == "1800.000" and flow.shipments[0].received_kg == "1791.000"
    assert [lot.code for lot in flow.black_mass] == ["BM-SHP-DL-1", "BMX-SHP-DL-1"]  # register + custody
    custody_lot = next(lot for lot in flow.recovered if lot.code == "NSX-SHP-DL-1")
    assert custody_lot.recorded_by == beta.name_en and custody_lot.sources == ("BMX-SHP-DL-1",)

    findings = snapshot.findings
    assert findings.available
    assert [f.subject for f in findings.findings] == ["Weighbridge ticket unreadable", "Certificate names no plant"]
    first = findings.findings[0]
    assert (first.target_kind, first.status, first.raised_by) == ("shipment", "answered", "sophie@audit.test")
    assert [(a.kind, a.text) for a in first.answers] == [("answer", "We will upload the corrected document.")]

    assert snapshot_from_dict(snapshot_to_dict(snapshot)) == snapshot
    data = manifest.build_manifest(snapshot, digest=snapshot_digest(snapshot), page_count=1, verify_url="x")
    assert data["custody"]["ledger_head"] == transfer.ledger_head and data["custody"]["verified"] is True
    assert {(r["protocol"], r["code"], r["status"]) for r in data["checklist"]["results"]} == \
        {(r.protocol, r.code, r.status) for r in checklist.results}
    assert [f["reference"] for f in data["findings"]] == ["F-1", "F-2"]


def test_same_data_same_digest_and_a_new_ledger_step_changes_it(alpha, beta, people, in_tenant):
    with in_tenant(alpha):
        shipment = make_shipment("SHP-DG-1", units=3)
        add_evidence(shipment, title="CMR", doc_type="transport_manifest")
    transfer = custody_pathway(people["staff"], people["recycler"], shipment, beta, certify=False)
    scope = builder.ScopeRef(kind="shipment", shipment=shipment)
    dossier_id = uuid4()
    with in_tenant(alpha):
        first, second = (builder.build_snapshot(scope=scope, dossier_id=dossier_id, organisation=alpha,
                                                language="en", issuer_label="x", issued_at=WHEN) for _ in range(2))
    assert snapshot_digest(first) == snapshot_digest(second)
    from apps.custody import services as custody

    custody.transfer_issue_certificate(access=people["recycler"], transfer_id=transfer.pk, number="CR-9",
                                       issued_on=date(2026, 5, 9))
    with in_tenant(alpha):
        third = builder.build_snapshot(scope=scope, dossier_id=dossier_id, organisation=alpha, language="en",
                                       issuer_label="x", issued_at=WHEN)
    assert snapshot_digest(third) != snapshot_digest(first)
    assert third.custody.head_hash == Transfer.objects.get(pk=transfer.pk).ledger_head != first.custody.head_hash


def test_a_tampered_ledger_is_reported_not_hidden(alpha, beta, people, in_tenant):
    with in_tenant(alpha):
        shipment = make_shipment("SHP-TM-1", units=2)
        add_evidence(shipment, title="CMR", doc_type="transport_manifest")
    transfer = custody_pathway(people["staff"], people["recycler"], shipment, beta, certify=False)
    with connection.cursor() as cursor:  # as an administrator could: around the append-only trigger
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # flush the test transaction's deferred FK checks
        cursor.execute("ALTER TABLE public.custody_ledgerentry DISABLE TRIGGER USER")
        cursor.execute("UPDATE public.custody_ledgerentry SET actor_label = 'someone else' "
                       "WHERE transfer_id = %s AND seq = 2", [transfer.pk])
        cursor.execute("ALTER TABLE public.custody_ledgerentry ENABLE TRIGGER USER")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    with in_tenant(alpha):
        snapshot = snapshot_of(builder.ScopeRef(kind="shipment", shipment=shipment), alpha)
    assert snapshot.custody.available and not snapshot.custody.verified
    (problem,) = snapshot.custody.problems
    assert problem.code == "ledger_hash" and "SHP-TM-1" in problem.en and "SHP-TM-1" in problem.zh


def test_without_other_apps_data_the_sections_say_so(alpha, in_tenant):
    with in_tenant(alpha):
        shipment = make_shipment("SHP-NONE", units=2)
        snapshot = snapshot_of(builder.ScopeRef(kind="shipment", shipment=shipment), alpha)
    assert not snapshot.checklist.available and snapshot.checklist.note.code == "checklist_unavailable"
    assert not snapshot.custody.available and snapshot.custody.note.code == "custody_unavailable"
    assert snapshot.findings.available and snapshot.findings.findings == ()
    assert snapshot.cover.protocol_versions == () and not snapshot.recycled.available


def _year_declaration(model: BatteryModel, *, status: str = "accepted", year: int = 2026,
                      reference: str = "") -> EvidenceRevision:
    evidence = Evidence.objects.create(doc_type="recycled_content_declaration", title="再生材料含量声明 2026",
                                       reference=reference or f"RCD-{year}-{status}")
    evidence.battery_models.add(model)
    return EvidenceRevision.objects.create(
        evidence=evidence, number=1, storage_name=f"x/{evidence.pk}.pdf", original_filename="rcd.pdf",
        sha256="c" * 64, size=10, content_type="application/pdf", status=status,
        key_fields={"battery_model": model.code, "year": year, "plant": "Suzhou 苏州", "custody_model": "mass_balance",
                    "lot_codes": ["LC-ART8-1"],
                    "shares": {"Li": {"pre_consumer_pct": "2.5", "post_consumer_pct": "4.5"}}})


def test_model_year_snapshot_carries_the_art8_evaluation_and_declarations(alpha, people, in_tenant):
    from apps.checklists.services import scope_evaluate, selection_set

    with in_tenant(alpha):
        make_shipment("SHP-ART8", units=2, evidence=False)
        model = BatteryModel.objects.get()
        accepted = _year_declaration(model)
        _year_declaration(model, status="submitted")
        lot = MaterialLot.objects.create(code="LC-ART8-1", kind="lithium_carbonate", mass_kg=Decimal("100"),
                                         origin="post_consumer", custody_model="mass_balance")
        LotElement.objects.create(lot=lot, element="Li", percent=Decimal("18.7"))
        selection_set(access=people["owner"], protocol_ids=["eu-art8-recycled-content"])
        scope_evaluate(scope_kind="model_year", scope_id=f"{model.pk}:2026")
        scope = builder.ScopeRef(kind="model_year_plant", model=model, year=2026, plant="Suzhou 苏州")
        snapshot = snapshot_of(scope, alpha)
        art8 = Evaluation.objects.get(protocol_id="eu-art8-recycled-content")

    recycled = snapshot.recycled
    assert recycled.available and recycled.evaluation_id == str(art8.pk) and recycled.inputs_current
    assert recycled.inputs_digest == art8.inputs_digest
    (declaration,) = recycled.declarations  # only the accepted one
    assert declaration.revision_id == str(accepted.pk) and declaration.lot_codes == ("LC-ART8-1",)
    assert [(s.element, s.pre_consumer_pct, s.post_consumer_pct) for s in declaration.shares] == [("Li", "2.5", "4.5")]
    assert [lot.code for lot in recycled.lots] == ["LC-ART8-1"]
    assert any(e.protocol == "eu-art8-recycled-content" and e.scope_kind == "model_year"
               for e in snapshot.checklist.evaluations)
    # rendered: the declared shares against the minimums, in Chinese
    pdf = rendering.render_dossier(snapshot, digest=snapshot_digest(snapshot), mode="zh-hans", verify_url="x").pdf
    from tests.dossiers.test_rendering import text_of

    text = text_of(pdf)
    assert "已接受的再生材料含量声明" in text and "再生材料含量声明 2026" in text and "LC-ART8-1" in text

    with in_tenant(alpha):  # a declaration is added after the evaluation: the dossier says so
        _year_declaration(model, reference="RCD-2026-second")
        later = snapshot_of(scope, alpha)
    assert later.recycled.evaluation_id == str(art8.pk) and not later.recycled.inputs_current
    assert len(later.recycled.declarations) == 2


def _scope_with(alpha, beta, people, in_tenant, count: int, start: int):
    for n in range(start, start + count):
        with in_tenant(alpha):
            shipment = make_shipment(f"SHP-Q{n:02d}", units=3 + 20 * n)
            add_evidence(shipment, title=f"CMR {n}", doc_type="transport_manifest")
        custody_pathway(people["staff"], people["recycler"], shipment, beta, prefix=f"Q{n}")
        with in_tenant(alpha):
            evaluate_checklists(people["owner"], shipment)
            raise_finding(alpha, people["manager"], target_kind="shipment", target_id=str(shipment.pk),
                          title=f"Finding {n}")


def test_queries_do_not_grow_with_units_shipments_transfers_or_findings(alpha, beta, people, in_tenant):
    scope = builder.ScopeRef(kind="organisation_period", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))

    def count() -> tuple[int, object]:
        with in_tenant(alpha), CaptureQueriesContext(connection) as queries:
            snapshot = snapshot_of(scope, alpha)
        return len(queries), snapshot

    _scope_with(alpha, beta, people, in_tenant, 1, 0)
    few, small = count()
    _scope_with(alpha, beta, people, in_tenant, 3, 1)
    many, large = count()
    assert len(small.units) == 3 and len(large.units) == 3 + 23 + 43 + 63
    assert len(large.custody.transfers) == 4 and len(large.findings.findings) == 4 and large.custody.verified
    assert len(large.checklist.evaluations) == 8
    assert many == few, f"{few} queries for one shipment, {many} for four"
    with in_tenant(alpha):
        assert BatteryUnit.objects.count() == len(large.units)
