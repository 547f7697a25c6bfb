from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def dashboard_panel(request) -> dict | None:
    """Counts of the register on the organisation's dashboard (within the viewer's scope)."""
    access = getattr(request, "access", None)
    if access is None or not access.can("view"):
        return None
    from .selectors import register_counts

    return {"title": _("Traceability register"), "template": "traceability/_dashboard_panel.html",
            "data": register_counts(access=access)}


class TraceabilityConfig(AppConfig):
    name = "apps.traceability"
    label = "traceability"
    verbose_name = _("Traceability register")

    def ready(self) -> None:
        from apps.activity import verbs
        from apps.core import dashboard
        from apps.core import navigation as nav

        nav.register(nav.NavItem("units", _("Units"), "traceability:unit_list", "view", order=100))
        nav.register(nav.NavItem("shipments", _("Shipments"), "traceability:shipment_list", "view", order=110))
        nav.register(nav.NavItem("lots", _("Material lots"), "traceability:lot_list", "view", order=120))
        dashboard.register(dashboard_panel)
        verbs.register({
            "battery_model.created": _("Battery model registered"),
            "battery_model.updated": _("Battery model changed"),
            "unit.created": _("Unit registered"),
            "unit.updated": _("Unit changed"),
            "unit.status_changed": _("Unit status changed"),
            "unit.recoded": _("Unit re-coded for cascade use"),
            "shipment.created": _("Shipment registered"),
            "shipment.updated": _("Shipment changed"),
            "shipment.status_changed": _("Shipment status changed"),
            "lot.created": _("Material lot registered"),
            "lot.updated": _("Material lot changed"),
            "import.checked": _("Import file checked"),
            "import.committed": _("Import committed"),
            "import.refused": _("Import commit refused"),
        })
