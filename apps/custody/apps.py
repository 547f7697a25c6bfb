from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def dashboard_panel(request) -> dict | None:
    """Transfers waiting for the organisation (or its counterparty) and open discrepancies."""
    from .selectors import custody_counts

    organisation = getattr(request, "organisation", None)
    if organisation is None or request.access is None or request.access.is_restricted:
        return None
    counts = custody_counts(organisation=organisation)
    if not any(counts.values()):
        return None
    return {"title": _("Custody"), "template": "custody/_dashboard_panel.html", "data": counts}


class CustodyConfig(AppConfig):
    name = "apps.custody"
    label = "custody"
    verbose_name = _("Custody ledger")

    def ready(self) -> None:
        from apps.activity import verbs
        from apps.core import dashboard
        from apps.core import navigation as nav

        nav.register(nav.NavItem("custody", _("Custody"), "custody:index", "view", order=300))
        dashboard.register(dashboard_panel)
        verbs.register({
            "custody.dispatched": _("Shipment dispatched to a recycler"),
            "custody.received": _("Receipt confirmed"),
            "custody.disputed": _("Receipt disputed"),
            "custody.paper_receipt": _("Paper receipt attached"),
            "custody.discrepancy_comment": _("Discrepancy comment"),
            "custody.discrepancy_resolved": _("Discrepancy resolved"),
            "custody.processed": _("Processing recorded"),
            "custody.certified": _("Certificate of recycling issued"),
            "custody.recycler_invited": _("Recycler invited"),
        })
