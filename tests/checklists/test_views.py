"""Pages: the checklist board (statuses, reasons, evidence, progress, upload links, evaluate button),
overview, history, past evaluations, protocol selection, notifications and the dashboard chart.
Object-level isolation: another organisation's ids answer 404 here."""
from datetime import date

import pytest
from django_tenants.utils import schema_context

from apps.accounts.roles import Role
from apps.checklists import services
from apps.checklists.models import Evaluation, Notification, ProtocolSelection

from .factories import BatteryModelFactory, BatteryUnitFactory, ShipmentFactory, add_units, document, export_ready

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)


@pytest.fixture
def evaluated(alpha, select_protocols):
    """An alpha shipment evaluated under the export and code protocols: the receipt is missing."""
    with schema_context(alpha.schema_name):
        select_protocols("cn-export-2026", "gbt34014-codes")
        shipment = ShipmentFactory()
        add_units(shipment, [BatteryUnitFactory()])
        export_ready(shipment)
        services.scope_evaluate(scope_kind="shipment", scope_id=str(shipment.pk), today=TODAY)
    return shipment


def board_url(shipment) -> str:
    return f"/checklists/shipment/{shipment.pk}/"


def test_board_explains_each_requirement(alpha, make_member, client_for, evaluated):
    user = make_member(alpha, Role.STAFF)
    response = client_for(user, alpha).get(board_url(evaluated))
    assert response.status_code == 200
    page = response.content.decode()
    assert evaluated.reference in page
    assert 'data-testid="requirement-contract" data-status="met"' in page
    assert "is accepted and valid on the dispatch date (2026-05-04)" in page
    assert 'data-testid="requirement-receipt" data-status="missing"' in page
    assert "has not confirmed receipt, and no receipt has been uploaded" in page
    assert "Contract DOC-" in page  # the evidence behind the contract requirement
    assert 'data-testid="progress"' in page and "requirements met" in page
    assert 'data-testid="evaluate-now"' in page
    assert "Pack → module → cell relations complete" not in page or "1 packs have no modules" in page


def test_missing_evidence_links_to_the_upload_page(alpha, make_member, client_for, select_protocols):
    user = make_member(alpha, Role.STAFF)
    with schema_context("alpha"):
        select_protocols("cn-export-2026")
        shipment = ShipmentFactory(status="draft", dispatch_date=date(2026, 9, 1))
        services.scope_evaluate(scope_kind="shipment", scope_id=str(shipment.pk), today=TODAY)
    page = client_for(user, alpha).get(board_url(shipment)).content.decode()
    assert f'href="/evidence/upload/?shipment={shipment.pk}&amp;type=contract"' in page
    assert "Upload: Contract" in page
    viewer = make_member(alpha, Role.VIEWER)
    assert "/evidence/upload/" not in client_for(viewer, alpha).get(board_url(shipment)).content.decode()


def test_board_in_chinese(alpha, make_member, client_for, evaluated):
    user = make_member(alpha, Role.STAFF, language="zh-hans")
    page = client_for(user, alpha, HTTP_ACCEPT_LANGUAGE="zh-hans").get(board_url(evaluated)).content.decode()
    assert "与接收方回收企业的合同" in page and "立即评估" in page


def test_board_of_a_scope_not_evaluated_yet(alpha, make_member, client_for, select_protocols):
    user = make_member(alpha, Role.STAFF)
    with schema_context("alpha"):
        select_protocols("cn-export-2026")
        shipment = ShipmentFactory()
    page = client_for(user, alpha).get(board_url(shipment)).content.decode()
    assert 'data-testid="not-evaluated"' in page


@pytest.mark.parametrize("path", ["/checklists/shipment/not-a-uuid/", "/checklists/planet/x/",
                                  "/checklists/model_year/abc/", "/checklists/battery_model/00000000-0000-0000-"
                                                                 "0000-000000000000/"])
def test_unknown_scopes_are_not_found(alpha, make_member, client_for, path):
    assert client_for(make_member(alpha, Role.OWNER), alpha).get(path).status_code == 404


def test_another_organisations_objects_are_not_found_here(alpha, beta, make_member, client_for, select_protocols):
    with schema_context("beta"):
        select_protocols("cn-export-2026")
        theirs = ShipmentFactory()
        model = BatteryModelFactory()
        services.scope_evaluate(scope_kind="shipment", scope_id=str(theirs.pk), today=TODAY)
        evaluation = Evaluation.objects.get()
    client = client_for(make_member(alpha, Role.OWNER), alpha)
    for path in (board_url(theirs), f"{board_url(theirs)}history/", f"/checklists/evaluations/{evaluation.pk}/",
                 f"/checklists/battery_model/{model.pk}/", f"/checklists/model_year/{model.pk}:2026/"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"{board_url(theirs)}evaluate/").status_code == 404


@pytest.mark.parametrize("role, status", [(Role.VIEWER, 403), (Role.STAFF, 302), (Role.OWNER, 302)])
def test_evaluate_now_needs_the_permission(alpha, make_member, client_for, evaluated, role, status):
    response = client_for(make_member(alpha, role), alpha).post(f"{board_url(evaluated)}evaluate/")
    assert response.status_code == status


def test_pending_evaluation_polls_until_done(alpha, make_member, client_for, evaluated):
    client = client_for(make_member(alpha, Role.STAFF), alpha)
    client.post(f"{board_url(evaluated)}evaluate/")  # queued after commit; the test transaction never commits
    page = client.get(board_url(evaluated)).content.decode()
    assert 'hx-trigger="every 2s"' in page and 'data-testid="pending"' in page
    fragment = client.get(board_url(evaluated) + "?fragment=1", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="checklist-board"') and "<html" not in fragment
    with schema_context("alpha"):
        services.scope_evaluate(scope_kind="shipment", scope_id=str(evaluated.pk), today=TODAY)
    assert 'data-testid="pending"' not in client.get(board_url(evaluated)).content.decode()


def test_history_and_past_evaluations(alpha, make_member, client_for, evaluated):
    client = client_for(make_member(alpha, Role.VIEWER), alpha)
    with schema_context("alpha"):
        document("receipt", shipments=[evaluated], net_mass_kg=19990)
        services.scope_evaluate(scope_kind="shipment", scope_id=str(evaluated.pk), today=TODAY)
        oldest = Evaluation.objects.filter(protocol_id="cn-export-2026").order_by("created_at").first()
    page = client.get(f"{board_url(evaluated)}history/").content.decode()
    # the receipt changed the facts of the shipment, so both protocols were evaluated again
    assert page.count("cn-export-2026 v1") == 2 and page.count("gbt34014-codes v1") == 2
    detail = client.get(f"/checklists/evaluations/{oldest.pk}/").content.decode()
    assert oldest.inputs_digest in detail
    assert 'data-testid="requirement-receipt" data-status="missing"' in detail  # as it was then


def test_overview_lists_statuses_within_a_query_budget(alpha, make_member, client_for, select_protocols,
                                                        django_assert_max_num_queries):
    with schema_context("alpha"):
        select_protocols("cn-export-2026")
        for shipment in ShipmentFactory.create_batch(12):
            services.scope_evaluate(scope_kind="shipment", scope_id=str(shipment.pk), today=TODAY)
    client = client_for(make_member(alpha, Role.VIEWER), alpha)
    with django_assert_max_num_queries(20):  # constant: sign-in, access, navigation, one page of statuses
        response = client.get("/checklists/")
    assert response.content.decode().count("/checklists/shipment/") == 12
    filtered = client.get("/checklists/?status=met&kind=shipment").content.decode()
    assert "/checklists/shipment/" not in filtered


@pytest.mark.parametrize("role, status", [(Role.VIEWER, 403), (Role.STAFF, 403), (Role.COMPLIANCE_MANAGER, 200),
                                          (Role.OWNER, 200)])
def test_protocol_settings_page_needs_the_configure_permission(alpha, make_member, client_for, role, status):
    assert client_for(make_member(alpha, role), alpha).get("/checklists/settings/").status_code == status


def test_choosing_protocols(alpha, make_member, client_for):
    client = client_for(make_member(alpha, Role.COMPLIANCE_MANAGER), alpha)
    response = client.post("/checklists/settings/", {"protocols": ["cn-export-2026", "iso22095-mass-balance"]})
    assert response.status_code == 302
    with schema_context("alpha"):
        assert sorted(ProtocolSelection.objects.values_list("protocol_id", flat=True)) == [
            "cn-export-2026", "iso22095-mass-balance"]
    refused = client.post("/checklists/settings/", {"protocols": ["made-up"]})
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()


def test_notifications_page_and_mark_read(alpha, make_member, client_for, select_protocols):
    manager = make_member(alpha, Role.COMPLIANCE_MANAGER)
    with schema_context("alpha"):
        select_protocols("cn-export-2026")
        shipment = ShipmentFactory(status="draft", dispatch_date=date(2026, 9, 1))
        services.scope_evaluate(scope_kind="shipment", scope_id=str(shipment.pk), today=TODAY)
        export_ready(shipment)
        services.scope_evaluate(scope_kind="shipment", scope_id=str(shipment.pk), today=TODAY)
    client = client_for(manager, alpha)
    page = client.get("/checklists/notifications/").content.decode()
    assert shipment.reference in page and "Missing" in page and "Met" in page
    assert "1 unread notification" in client.get("/").content.decode()
    client.post("/checklists/notifications/")
    with schema_context("alpha"):
        assert not Notification.objects.filter(read_at__isnull=True).exists()
    other = client_for(make_member(alpha, Role.COMPLIANCE_MANAGER), alpha)
    assert shipment.reference not in other.get("/checklists/notifications/").content.decode()


def test_dashboard_shows_completeness_as_a_chart(alpha, make_member, client_for, evaluated, select_protocols):
    with schema_context("alpha"):
        select_protocols("eu-art8-recycled-content")
        model = BatteryModelFactory()
        services.scope_evaluate(scope_kind="model_year", scope_id=f"{model.pk}:2026", today=TODAY)
    page = client_for(make_member(alpha, Role.VIEWER), alpha).get("/").content.decode()
    assert 'data-testid="completeness-chart"' in page and "<svg" in page
    assert 'data-status="missing"' in page  # the export checklist is missing its receipt
    assert "Battery model, year and plant" in page and "Export of used batteries" in page


def test_dashboard_invites_managers_to_choose_protocols(alpha, make_member, client_for):
    page = client_for(make_member(alpha, Role.OWNER), alpha).get("/").content.decode()
    assert "No checklist protocol is selected yet." in page and "/checklists/settings/" in page


def test_history_and_notifications_pages_have_a_query_budget(alpha, make_member, client_for, select_protocols,
                                                             django_assert_max_num_queries):
    manager = make_member(alpha, Role.COMPLIANCE_MANAGER)
    with schema_context("alpha"):
        select_protocols("cn-export-2026")
        shipment = ShipmentFactory(status="draft", dispatch_date=date(2026, 9, 1))
        for day in range(1, 11):  # ten days, the last ones with documents: several evaluations and changes
            if day == 6:
                export_ready(shipment)
            services.scope_evaluate(scope_kind="shipment", scope_id=str(shipment.pk), today=date(2026, 6, day))
    client = client_for(manager, alpha)
    with django_assert_max_num_queries(20):
        history = client.get(f"{board_url(shipment)}history/")
    assert history.status_code == 200
    with django_assert_max_num_queries(20):
        notifications = client.get("/checklists/notifications/")
    assert shipment.reference in notifications.content.decode()
