"""Create the development signing key and self-signed certificate of dossiers, when the configured files do not
exist yet (`make run` calls it). Never for production: there the key comes from the operator's PKI."""
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.dossiers import signing


class Command(BaseCommand):
    help = "Create a self-signed dossier signing key for development, if the configured one is missing."

    def handle(self, *args, **options):
        if not signing.configured():
            self.stdout.write("dossier signing is not configured: nothing to create")
            return
        key, cert = Path(settings.DOSSIER_SIGNING_KEY), Path(settings.DOSSIER_SIGNING_CERT)
        if key.is_file() and cert.is_file():
            return
        signing.make_self_signed(key, cert, common_name="Cellpass dossier signing (development)")
        self.stdout.write(f"created a development signing key {key} and certificate {cert}")
