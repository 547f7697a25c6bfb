from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossierRegistryConfig(AppConfig):
    """The public registry of issued dossier hashes: a shared (public-schema) app inside the tenant
    app `apps.dossiers`, because anyone may verify a dossier without knowing which organisation
    issued it, and a tenant schema cannot be searched from the public site."""

    name = "apps.dossiers.registry"
    label = "dossier_registry"
    verbose_name = _("Dossier registry")
