from django.db.models import QuerySet
from django_tenants.utils import get_public_schema_name

from .models import Organisation, OrganisationKind


def organisation_list() -> QuerySet[Organisation]:
    """Every real organisation (never the public/platform row)."""
    return (Organisation.objects.exclude(schema_name=get_public_schema_name())
            .exclude(kind=OrganisationKind.PLATFORM).order_by("name_en"))


def organisation_get(*, slug: str) -> Organisation | None:
    return organisation_list().filter(slug=slug, is_active=True).first()
