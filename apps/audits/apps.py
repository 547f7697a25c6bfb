from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditsConfig(AppConfig):
    name = "apps.audits"
    label = "audits"
    verbose_name = _("Auditor engagements")

    def ready(self) -> None:
        from apps.activity import verbs
        from apps.core import dashboard
        from apps.core import navigation as nav

        from .dashboard import audit_panel

        nav.register(nav.NavItem("findings", _("Findings"), "audits:findings", "view", order=700))
        nav.register(nav.NavItem("auditors", _("Auditors"), "audits:engagements", "engagement.manage", order=910))
        nav.register(nav.NavItem("audit_hub", _("Audit hub"), "audits:hub", "finding.raise", order=990))
        dashboard.register(audit_panel)
        verbs.register({
            "engagement.granted": _("Auditor access granted"),
            "engagement.accepted": _("Auditor engagement accepted"),
            "engagement.revoked": _("Auditor access revoked"),
            "finding.raised": _("Finding raised"),
            "finding.answered": _("Finding answered"),
            "finding.replied": _("Auditor replied to a finding"),
            "finding.resolved": _("Finding resolved"),
            "finding.reopened": _("Finding reopened"),
        })
