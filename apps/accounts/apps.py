from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from apps.core import navigation as nav

        nav.register(nav.NavItem("dashboard", _("Dashboard"), "accounts:dashboard", "view", order=0))
        nav.register(nav.NavItem("members", _("Members"), "accounts:members", "member.view", order=900))
        nav.register(nav.NavItem("activity", _("Activity"), "accounts:activity", "activity.view", order=920))
        nav.register(nav.NavItem("api_keys", _("API keys"), "accounts:api_keys", "apikey.manage", order=950))
