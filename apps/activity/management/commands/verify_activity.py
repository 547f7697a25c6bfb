from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_tenant_model, schema_context

from apps.activity.models import ActivityEntry
from apps.activity.selectors import activity_first_broken_entry


class Command(BaseCommand):
    help = "Verify the hash chain of the activity log of one organisation (or all) and name the first broken entry."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="schema name of one organisation; all organisations when omitted")

    def handle(self, *args, **options):
        organisations = get_tenant_model().objects.exclude(schema_name="public")
        if options["schema"]:
            organisations = organisations.filter(schema_name=options["schema"])
            if not organisations.exists():
                raise CommandError(f"No organisation with schema {options['schema']!r}.")
        broken = []
        for org in organisations.order_by("schema_name"):
            with schema_context(org.schema_name):
                count = ActivityEntry.objects.count()
                first_bad = activity_first_broken_entry()
            if first_bad is None:
                self.stdout.write(f"{org.schema_name}: intact ({count} entries)")
            else:
                broken.append(org.schema_name)
                self.stdout.write(f"{org.schema_name}: BROKEN at entry {first_bad} ({count} entries)")
        if broken:
            raise CommandError(f"Activity chain broken in: {', '.join(broken)}")
