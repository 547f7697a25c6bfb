from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import ApplicationError
from apps.tenants.models import OrganisationKind
from apps.tenants.services import organisation_create


class Command(BaseCommand):
    help = "Create an organisation: its schema (cloned from the template) and its domain <slug>.<CELLPASS_DOMAIN>."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name-en", required=True)
        parser.add_argument("--name-zh", default="")
        parser.add_argument("--kind", required=True, choices=[k for k in OrganisationKind.values if k != "platform"])
        parser.add_argument("--country", required=True)
        parser.add_argument("--uscc", default="")
        parser.add_argument("--eori", default="")
        parser.add_argument("--vat", default="")

    def handle(self, *args, **o):
        try:
            organisation = organisation_create(slug=o["slug"], name_en=o["name_en"], name_zh=o["name_zh"],
                                               kind=o["kind"], country=o["country"], uscc=o["uscc"],
                                               eori=o["eori"], vat=o["vat"])
        except ApplicationError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(self.style.SUCCESS(f"Created {organisation.slug} (schema {organisation.schema_name})"))
