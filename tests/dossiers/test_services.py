"""Requesting and issuing dossiers against the real database and WeasyPrint (rendered in-process)."""
from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from apps.accounts.access import Access
from apps.accounts.roles import Role
from apps.activity.models import ActivityEntry
from apps.core.errors import ApplicationError
from apps.dossiers import builder, services
from apps.dossiers.models import Dossier, DossierStatus
from apps.dossiers.registry.models import IssuedDossier
from apps.dossiers.snapshot import snapshot_digest
from apps.traceability.models import BatteryUnit
from tests.dossiers.conftest import make_shipment, render_now, request_dossier


def pdf_text(dossier: Dossier) -> str:
    with default_storage.open(dossier.file_name, "rb") as handle:
        return "\n".join(p.extract_text() for p in PdfReader(BytesIO(handle.read())).pages)


def test_same_data_gives_the_same_snapshot_digest(alpha, in_tenant):
    from datetime import UTC, datetime
    from uuid import uuid4

    with in_tenant(alpha):
        shipment = make_shipment(units=20)
        scope = builder.ScopeRef(kind="shipment", shipment=shipment)
        when, dossier_id = datetime(2026, 5, 1, tzinfo=UTC), uuid4()
        first = builder.build_snapshot(scope=scope, dossier_id=dossier_id, organisation=alpha, language="en",
                                       issuer_label="x", issued_at=when)
        second = builder.build_snapshot(scope=scope, dossier_id=dossier_id, organisation=alpha, language="en",
                                        issuer_label="x", issued_at=when)
        assert snapshot_digest(first) == snapshot_digest(second)
        assert len(first.units) == 20 and first.evidence[0].file_present
        assert [lot.code for lot in first.material_flow.recovered] == ["LC-SHP-0001"]
        BatteryUnit.objects.filter(code="SHP-0001-U00003").update(status="reused")
        third = builder.build_snapshot(scope=scope, dossier_id=dossier_id, organisation=alpha, language="en",
                                       issuer_label="x", issued_at=when)
        assert snapshot_digest(third) != snapshot_digest(first)


def test_issued_dossier_never_changes_and_a_new_one_supersedes_it(alpha, member_access, in_tenant):
    _user, access = member_access(alpha, Role.STAFF)
    with in_tenant(alpha):
        shipment = make_shipment(units=8)
        first = render_now(request_dossier(access, alpha, shipment))
        assert first.status == DossierStatus.DONE and first.progress == 100
        assert first.sha256 == services.sha256_hex(services.read_bytes(first.file_name))
        stored_digest = snapshot_digest(services.snapshot_read(first))
        assert stored_digest == first.snapshot_digest
        assert "贝塔回收" in pdf_text(first)

        shipment.counterparty_name = "Gamma Recycling"
        shipment.save()
        BatteryUnit.objects.filter(shipment_units__shipment=shipment).update(status="reused")
        first.refresh_from_db()
        assert snapshot_digest(services.snapshot_read(first)) == stored_digest
        assert services.sha256_hex(services.read_bytes(first.file_name)) == first.sha256
        assert "Gamma Recycling" not in pdf_text(first)

        second = render_now(request_dossier(access, alpha, shipment))
        first.refresh_from_db()
        assert second.snapshot_digest != first.snapshot_digest
        assert first.superseded_by_id == second.pk
        assert "Gamma Recycling" in pdf_text(second)
        verbs = list(ActivityEntry.objects.filter(object_id=str(second.pk)).values_list("verb", flat=True))
        assert "dossier.requested" in verbs and "dossier.issued" in verbs
    registry = {row.dossier_id: row for row in IssuedDossier.objects.all()}
    assert registry[first.pk].superseded and not registry[second.pk].superseded
    assert registry[second.pk].organisation_name_zh == alpha.name_zh
    assert registry[second.pk].scope_label == "SHP-0001"


def test_missing_evidence_file_still_renders_and_says_so(alpha, member_access, in_tenant):
    _user, access = member_access(alpha, Role.STAFF)
    with in_tenant(alpha):
        shipment = make_shipment(units=2, missing_file=True, title="Lost manifest 丢失的运单")
        dossier = render_now(request_dossier(access, alpha, shipment, language="en"))
        assert dossier.status == DossierStatus.DONE
        text = pdf_text(dossier).replace("\n", " ")
        assert "Lost manifest" in text and "File missing from storage" in text


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"scope_kind": "shipment"}, "shipment_required"),
    ({"scope_kind": "shipment", "shipment_id": "00000000-0000-4000-8000-000000000000"}, "shipment_required"),
    ({"scope_kind": "model_year_plant"}, "model_required"),
    ({"scope_kind": "organisation_period"}, "period_required"),
    ({"scope_kind": "nonsense"}, "scope_kind"),
])
def test_bad_requests_are_refused_with_a_code_and_store_nothing(alpha, member_access, in_tenant, kwargs, code):
    _user, access = member_access(alpha, Role.STAFF)
    with in_tenant(alpha):
        with pytest.raises(ApplicationError) as error:
            services.dossier_request(access=access, organisation=alpha, language="en", enqueue=False, **kwargs)
        assert error.value.code == code
        assert not Dossier.objects.exists()


def test_period_must_be_ordered(alpha, member_access, in_tenant):
    from datetime import date

    _user, access = member_access(alpha, Role.STAFF)
    with in_tenant(alpha), pytest.raises(ApplicationError) as error:
        services.dossier_request(access=access, organisation=alpha, language="en", enqueue=False,
                                 scope_kind="organisation_period", period_start=date(2026, 5, 1),
                                 period_end=date(2026, 4, 1))
    assert error.value.code == "period_order"


def test_viewer_and_auditor_may_not_request(alpha, member_access, in_tenant):
    user, viewer = member_access(alpha, Role.VIEWER)
    auditor = Access(organisation_id=alpha.pk, role=Role.AUDITOR, user_id=user.pk, label="a@x")
    with in_tenant(alpha):
        shipment = make_shipment(units=1, evidence=False)
        for access in (viewer, auditor):
            with pytest.raises(ApplicationError) as error:
                request_dossier(access, alpha, shipment)
            assert error.value.code == "not_allowed"


def test_organisation_period_and_model_scopes(alpha, member_access, in_tenant):
    from datetime import date

    from apps.traceability.models import BatteryModel

    _user, access = member_access(alpha, Role.STAFF)
    with in_tenant(alpha):
        make_shipment("SHP-A", units=3)
        make_shipment("SHP-B", units=2, evidence=False)
        period = services.dossier_request(access=access, organisation=alpha, language="en", enqueue=False,
                                          scope_kind="organisation_period", period_start=date(2026, 1, 1),
                                          period_end=date(2026, 12, 31))
        assert period.unit_count == 5 and period.scope_label == "2026-01-01 – 2026-12-31"
        model = BatteryModel.objects.get()
        by_model = services.dossier_request(access=access, organisation=alpha, language="en", enqueue=False,
                                            scope_kind="model_year_plant", model_id=model.pk, year=2020)
        assert by_model.unit_count == 5 and by_model.scope_label == "SE-LFP-280 · 2020 · Suzhou 苏州"
        snapshot = services.snapshot_read(by_model)
        assert dict(snapshot.cover.facts)["fact_year"] == "2020"
