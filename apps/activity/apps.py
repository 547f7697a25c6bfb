from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivityConfig(AppConfig):
    name = "apps.activity"
    label = "activity"
    verbose_name = _("Activity log")

    def ready(self) -> None:
        from apps.core import navigation as nav

        nav.register(nav.NavItem("activity", _("Activity"), "activity:list", "activity.view", order=920))
