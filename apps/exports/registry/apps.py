from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PassportRegistryConfig(AppConfig):
    """Public-schema index of passport identifiers (see models.py for why it exists)."""

    name = "apps.exports.registry"
    label = "exports_registry"
    verbose_name = _("Passport registry")
