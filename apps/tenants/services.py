"""Onboarding: creating organisations (schema cloned from the template) and their domain."""
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import get_public_schema_name, schema_context

from apps.activity.services import Actor, activity_record
from apps.core.errors import ApplicationError

from .hosts import organisation_host
from .identifiers import is_valid_eori, is_valid_slug, is_valid_uscc, schema_name_for
from .models import Domain, Organisation, OrganisationKind

MSG_SLUG_INVALID = _("The address may use lowercase letters, digits and single hyphens (3 to 40 characters), "
                     "must start with a letter, and must not be a reserved word.")
MSG_SLUG_TAKEN = _("This address is already taken.")
MSG_USCC_INVALID = _("This unified social credit code is not valid (18 characters, check character included).")
MSG_EORI_INVALID = _("An EORI number is a two-letter country code followed by up to 15 letters or digits.")
MSG_COUNTRY_INVALID = _("Enter the two-letter ISO country code, e.g. CN or DE.")


def _validate(*, slug: str, country: str, uscc: str, eori: str) -> None:
    if not is_valid_slug(slug):
        raise ApplicationError(MSG_SLUG_INVALID, code="slug_invalid", field="slug")
    if Organisation.objects.filter(slug=slug).exists():
        raise ApplicationError(MSG_SLUG_TAKEN, code="slug_taken", field="slug")
    if len(country) != 2 or not country.isalpha() or not country.isupper():
        raise ApplicationError(MSG_COUNTRY_INVALID, code="country_invalid", field="country")
    if uscc and not is_valid_uscc(uscc):
        raise ApplicationError(MSG_USCC_INVALID, code="uscc_invalid", field="uscc")
    if eori and not is_valid_eori(eori):
        raise ApplicationError(MSG_EORI_INVALID, code="eori_invalid", field="eori")


@transaction.atomic
def organisation_create(*, slug: str, name_en: str, kind: str, country: str, name_zh: str = "",
                        uscc: str = "", eori: str = "", vat: str = "", actor: Actor | None = None) -> Organisation:
    """Create an organisation, its schema (cloned from the template schema) and its domain.

    All in one transaction: if anything fails, neither the row nor the schema remains.
    """
    slug = slug.strip().lower()
    country = country.strip().upper()
    uscc = uscc.strip().upper()
    eori = eori.strip().upper()
    _validate(slug=slug, country=country, uscc=uscc, eori=eori)
    if kind not in OrganisationKind.values or kind == OrganisationKind.PLATFORM:
        raise ApplicationError(_("Unknown organisation kind."), code="kind_invalid", field="kind")
    organisation = Organisation(schema_name=schema_name_for(slug), slug=slug, name_en=name_en.strip(),
                                name_zh=name_zh.strip(), kind=kind, country=country, uscc=uscc,
                                eori=eori, vat=vat.strip())
    organisation.save(verbosity=0)
    Domain.objects.create(domain=organisation_host(slug), tenant=organisation, is_primary=True)
    with schema_context(organisation.schema_name):
        activity_record(actor=actor or Actor.system(), verb="organisation.created", obj=organisation,
                        data={"slug": slug, "kind": kind})
    return organisation


def public_organisation_ensure(*, domain: str) -> Organisation:
    """The row django-tenants needs to route the bare host to the public site."""
    public, _created = Organisation.objects.get_or_create(
        schema_name=get_public_schema_name(),
        defaults={"slug": "public", "name_en": "Cellpass", "name_zh": "Cellpass", "country": "ZZ",
                  "kind": OrganisationKind.PLATFORM},
    )
    Domain.objects.get_or_create(domain=domain, defaults={"tenant": public, "is_primary": True})
    return public
