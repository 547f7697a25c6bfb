from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "apps.dossiers"
    label = "dossiers"
    verbose_name = _("Dossiers")

    def ready(self) -> None:
        from apps.activity import verbs
        from apps.core import dashboard
        from apps.core import navigation as nav

        nav.register(nav.NavItem("dossiers", _("Dossiers"), "dossiers:list", "view", order=600))
        verbs.register({
            "dossier.requested": _("Dossier requested"),
            "dossier.issued": _("Dossier issued"),
            "dossier.failed": _("Dossier rendering failed"),
            "dossier.downloaded": _("Dossier downloaded"),
        })
        dashboard.register(dossier_panel)


def dossier_panel(request):
    """Dashboard panel: the latest dossiers visible to the visitor."""
    access = getattr(request, "access", None)
    if access is None:
        return None
    from .selectors import dossier_list

    return {"title": _("Dossiers"), "template": "dossiers/_dashboard_panel.html",
            "data": {"dossiers": list(dossier_list(access=access)[:5])}}
