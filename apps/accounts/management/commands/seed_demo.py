from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from apps.tenants.hosts import organisation_url, public_url


class Command(BaseCommand):
    help = "Create (or complete) the demo organisations, people and data. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args, **options):
        context: dict = {}
        for path in settings.DEMO_SEEDERS:
            import_string(path)(context)
        if options["quiet"]:
            return
        self.stdout.write(self.style.SUCCESS("Demo ready."))
        self.stdout.write(f"  Public site: {public_url('/')}")
        for organisation in context.get("organisations", {}).values():
            self.stdout.write(f"  {organisation.name_en}: {organisation_url(organisation, '/')}")
        self.stdout.write("  Demo logins (e-mail / password):")
        for email, password, roles in context.get("logins", []):
            self.stdout.write(f"    {email:24} {password}   ({roles})")
