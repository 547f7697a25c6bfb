"""Snapshots built in memory (no database), for the pure and rendering tests and the benchmark."""
from apps.dossiers import sections
from apps.dossiers.snapshot import (
    ChecklistSection,
    Cover,
    EvidenceItem,
    FlowLot,
    FlowShipment,
    MaterialFlow,
    RequirementResult,
    Scope,
    Snapshot,
    UnitRow,
)

ORG_ZH = "华源动力电池出口有限公司"
ORG_EN = "SinoEV Battery Export Co., Ltd."


def unit_rows(count: int) -> tuple[UnitRow, ...]:
    return tuple(UnitRow(code=f"0ABCDE1F2G3H4J5K6L7{i:05d}", scheme="gbt34014", level="pack",
                         status="original" if i % 7 else "waste", model_code="SE-LFP-280",
                         manufactured_on="2024-03-01", mass_kg=f"{300 + i % 50}.500", original_code="")
                 for i in range(count))


def make_snapshot(*, units: int = 12, title: str = "Recycling contract 回收合同", org_zh: str = ORG_ZH,
                  org_en: str = ORG_EN, file_present: bool = True, checklist: ChecklistSection | None = None,
                  dossier_id: str = "00000000-0000-4000-8000-000000000001") -> Snapshot:
    cover = Cover(
        dossier_id=dossier_id, organisation_id="11111111-1111-4111-8111-111111111111",
        organisation_name_en=org_en, organisation_name_zh=org_zh, organisation_country="CN",
        organisation_uscc="91320500MA1XK7Q2B0", organisation_eori="",
        scope=Scope(kind="shipment", label="SHP-2026-0042", shipment_id="22222222-2222-4222-8222-222222222222"),
        facts=(("fact_reference", "SHP-2026-0042"), ("fact_counterparty", "EcoCycle Batterierecycling GmbH")),
        protocol_versions=(), issued_at="2026-05-04T08:00:00+00:00", issuer_label="manager@sinoev.demo",
        language="zh-hans")
    evidence = (
        EvidenceItem(evidence_id="e1", revision_id="r1", doc_type="contract", title=title, reference="C-7",
                     issuer="EcoCycle", revision=1, status="accepted", effective_date="2026-01-01",
                     expiry_date="2027-01-01", uploaded_at="2026-02-01T10:00:00+00:00", uploaded_by="staff",
                     reviewed_by="manager", reviewed_at="2026-02-02T10:00:00+00:00", sha256="a" * 64, size=1234,
                     content_type="application/pdf", original_filename="contract.pdf", storage_name="x/contract.pdf",
                     file_present=file_present),
    )
    flow = MaterialFlow(
        shipments=(FlowShipment("SHP-2026-0042", "12000.000"),),
        black_mass=(FlowLot("BM-1", "black_mass", "4200.000", "post_consumer", "mass_balance", "2026-03-01",
                            ("SHP-2026-0042",), (("Co", "6.0"), ("Ni", "20.0"), ("Li", "4.0"))),),
        recovered=(FlowLot("CS-1", "cobalt_sulfate", "900.000", "post_consumer", "mass_balance", "2026-04-01",
                           ("BM-1",), (("Co", "20.5"),)),
                   FlowLot("NS-1", "nickel_sulfate", "3000.000", "post_consumer", "", "2026-04-01",
                           ("BM-1",), (("Ni", "22.0"),))),
    )
    return Snapshot(cover=cover, checklist=checklist or sections.checklist_unavailable(), evidence=evidence,
                    custody=sections.custody_unavailable(), material_flow=flow, units=unit_rows(units),
                    findings=sections.findings_unavailable())


def checklist_with_results() -> ChecklistSection:
    return ChecklistSection(available=True, evaluated_at="2026-05-01T00:00:00+00:00", results=(
        RequirementResult("CN-TRACE-01", "Traceability codes valid", "溯源编码有效", "pass",
                          "All 12 codes are valid.", "全部 12 个编码有效。", ("e1",)),
        RequirementResult("EU-ART8-01", "Recycled content documented", "再生含量有记录", "fail",
                          "No assay report.", "缺少化验报告。", ()),
    ))
