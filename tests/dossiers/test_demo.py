"""The demo seeder issues one dossier, for the organisation's richest shipment, once."""
from apps.accounts.roles import Role
from apps.dossiers import demo
from apps.dossiers.models import Dossier, DossierStatus
from tests.dossiers.conftest import add_evidence, custody_pathway, evaluate_checklists, make_shipment, raise_finding


def test_demo_dossier_is_issued_once_for_the_richest_shipment(alpha, beta, make_member, member_access, in_tenant):
    manager = make_member(alpha, Role.COMPLIANCE_MANAGER, email="manager@sinoev.demo")
    owner, staff = member_access(alpha, Role.OWNER)[1], member_access(alpha, Role.STAFF)[1]
    recycler = member_access(beta, Role.STAFF)[1]
    with in_tenant(alpha):
        make_shipment("SHP-PLAIN", units=30, evidence=False)  # more units, nothing else
        rich = make_shipment("SHP-RICH", units=4)
        add_evidence(rich, title="CMR", doc_type="transport_manifest")
    custody_pathway(staff, recycler, rich, beta)
    with in_tenant(alpha):
        evaluate_checklists(owner, rich)
        raise_finding(alpha, member_access(alpha, Role.COMPLIANCE_MANAGER)[1], target_kind="shipment",
                      target_id=str(rich.pk), title="Ticket unreadable")

    context = {"organisations": {"sinoev": alpha}, "users": {"manager@sinoev.demo": manager}}
    demo.seed(context)
    demo.seed(context)
    with in_tenant(alpha):
        dossier = Dossier.objects.get()
    assert dossier.scope_label == "SHP-RICH" and dossier.status == DossierStatus.DONE
    assert dossier.unit_count == 4 and dossier.language == "bilingual"
    assert dossier.requested_by_label == "manager@sinoev.demo"


def test_without_a_shipment_the_demo_seeder_issues_nothing(alpha, make_member, in_tenant):
    manager = make_member(alpha, Role.COMPLIANCE_MANAGER, email="manager@sinoev.demo")
    demo.seed({"organisations": {"sinoev": alpha}, "users": {"manager@sinoev.demo": manager}})
    with in_tenant(alpha):
        assert not Dossier.objects.exists()
