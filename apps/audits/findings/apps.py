from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FindingsConfig(AppConfig):
    """Findings raised by auditors, with their threads: tenant schema (a tenant app), beside the
    public engagements of apps.audits."""

    name = "apps.audits.findings"
    label = "findings"
    verbose_name = _("Audit findings")
