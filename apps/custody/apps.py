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


def shipment_section(request, shipment) -> dict | None:
    """On the register's shipment page: the status of the shipment's transfer, with links to it and to its
    timeline (outbound shipments it dispatched, or the inbound shipment a confirmed receipt created)."""
    from .models import TransferStatus
    from .selectors import custody_facts_for_shipments

    organisation = getattr(request, "organisation", None)
    if organisation is None:
        return None
    facts = custody_facts_for_shipments(organisation=organisation, shipment_ids=[shipment.pk]).get(shipment.pk)
    if facts is None:
        return None
    return {"template": "custody/_shipment_section.html",
            "data": {"facts": facts, "status_label": TransferStatus(facts.status).label,
                     "counterparty": facts.receiver_name if facts.role == "sender" else facts.sender_name}}


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
        from apps.traceability.panels import register_section

        register_section("shipment", shipment_section)
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
