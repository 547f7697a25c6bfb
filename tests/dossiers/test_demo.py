"""The demo seeder issues a dossier for sinoev's demo shipment, once."""
from apps.accounts.roles import Role
from apps.dossiers import demo
from apps.dossiers.models import Dossier, DossierStatus
from apps.traceability.models import Shipment


def test_demo_dossier_is_issued_once(alpha, make_member, in_tenant):
    manager = make_member(alpha, Role.COMPLIANCE_MANAGER)
    context = {"organisations": {"sinoev": alpha}, "users": {"manager@sinoev.demo": manager}}
    demo.seed(context)
    demo.seed(context)
    with in_tenant(alpha):
        assert Shipment.objects.count() == 1
        dossier = Dossier.objects.get()
        assert dossier.status == DossierStatus.DONE and dossier.unit_count == demo.DEMO_UNITS
        assert dossier.language == "bilingual"
