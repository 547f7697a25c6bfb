from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def dashboard_panel(request) -> dict | None:
    """Passports issued and platform uploads overdue / due, for members who may view."""
    access = getattr(request, "access", None)
    if access is None or not access.can("view"):
        return None
    from django.utils import timezone

    from .models import Passport
    from .selectors import reporting_event_list

    today = timezone.localdate()
    pending = reporting_event_list(access=access, today=today).filter(platform_reference="")
    passports = Passport.objects.filter(is_current=True)
    if access.shipment_scope is not None:
        passports = passports.filter(unit__shipments__in=access.shipment_scope).distinct()
    return {"title": _("Exports and reporting"), "template": "exports/_dashboard_panel.html",
            "data": {"passports": passports.count(),
                     "overdue": pending.filter(deadline__lt=today).count(),
                     "due": pending.filter(deadline__gte=today).count()}}


class ExportsConfig(AppConfig):
    name = "apps.exports"
    label = "exports"
    verbose_name = _("Exports and reporting")

    def ready(self) -> None:
        from apps.activity import verbs
        from apps.core import dashboard
        from apps.core import navigation as nav

        from . import checklist

        nav.register(nav.NavItem("passports", _("Passports"), "exports:passports", "view", order=700))
        nav.register(nav.NavItem("reporting", _("Platform reporting"), "exports:reporting", "view", order=710))
        dashboard.register(dashboard_panel)
        from apps.custody.signals import transfer_changed

        from .receivers import custody_receipt_reported

        transfer_changed.connect(custody_receipt_reported, dispatch_uid="exports.custody_receipt_reported")
        verbs.register({
            "passport.issued": _("Battery passport issued"),
            "passport.status_changed": _("Battery passport status changed"),
            "passport.superseded": _("Battery passport replaced after a status change"),
            "reporting.synced": _("Reporting events derived from the register"),
            "reporting.event_recorded": _("Reporting event recorded"),
            "reporting.submitted": _("Platform submission recorded"),
        })
        # Our requirements in the checklist library (checklists sits below us and never imports us).
        checklist.register()
