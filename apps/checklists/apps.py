from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChecklistsConfig(AppConfig):
    name = "apps.checklists"
    label = "checklists"
    verbose_name = _("Protocol checklists")

    def ready(self) -> None:
        from apps.activity import verbs
        from apps.core import dashboard
        from apps.core import navigation as nav

        from . import checks_system, signals  # noqa: F401 - registers the system check
        from .views import dashboard_panel

        nav.register(nav.NavItem("checklists", _("Checklists"), "checklists:overview", "view", order=400))
        dashboard.register(dashboard_panel)
        verbs.register({
            "checklist.protocols_selected": _("Checklist protocols chosen"),
            "checklist.evaluation_requested": _("Checklist evaluation requested"),
            "checklist.evaluated": _("Checklist evaluated"),
        })
        signals.connect()
