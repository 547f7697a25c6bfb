import uuid

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin


class OrganisationKind(models.TextChoices):
    EXPORTER = "exporter", _("Exporter")
    INTEGRATOR = "integrator", _("Integrator")
    RECYCLER = "recycler", _("Recycler")
    LOGISTICS = "logistics", _("Logistics")
    PLATFORM = "platform", _("Platform")


class Organisation(TenantMixin):
    """One company on the platform; its data lives in the PostgreSQL schema `schema_name`.

    The public schema is itself an Organisation row of kind `platform` (django-tenants needs one
    to route the bare host); it has no members and never appears in lists.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(_("address"), max_length=40, unique=True)
    name_en = models.CharField(_("legal name (English)"), max_length=200)
    name_zh = models.CharField(_("legal name (Chinese)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 alpha-2 code"))
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    eori = models.CharField(_("EORI number"), max_length=17, blank=True)
    vat = models.CharField(_("VAT number"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name_en"]

    def __str__(self) -> str:
        return self.display_name

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """Clone the template schema, rows of `django_migrations` included, and stop there.

        django-tenants' own clone path then runs `migrate_schemas --fake`, which replays the whole
        migration graph only to re-record rows the clone already copied; that costs more than the
        clone itself. When no template exists (a fresh database), fall back to migrating.
        """
        from django.db import connection
        from django_tenants.clone import CloneSchema
        from django_tenants.utils import get_creation_fakes_migrations, schema_exists

        base = self.get_base_schema() if get_creation_fakes_migrations() else False
        if not (sync_schema and base and schema_exists(base)):
            return super().create_schema(check_if_exists=check_if_exists, sync_schema=sync_schema,
                                         verbosity=verbosity)
        if check_if_exists and schema_exists(self.schema_name):
            return False
        CloneSchema().clone_schema(base, self.schema_name, "DATA")
        connection.set_schema_to_public()
        return True

    @property
    def display_name(self) -> str:
        """The legal name in the active language, falling back to English."""
        if (get_language() or "").startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name_en


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
