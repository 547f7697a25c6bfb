import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from apps.custody.models import Transfer
from apps.custody.selectors import ledger_verify


class Command(BaseCommand):
    help = ("Verify the hash chains of the custody ledger (every transfer, or one) and name the first broken entry. "
            "Exits with an error when a chain is broken.")

    def add_arguments(self, parser):
        parser.add_argument("--transfer", help="id of one transfer; every transfer when omitted")

    def handle(self, *args, **options):
        connection.set_schema_to_public()
        transfer_id = options["transfer"]
        if transfer_id:
            try:
                transfer_id = uuid.UUID(transfer_id)
            except ValueError as exc:
                raise CommandError(f"Not a transfer id: {options['transfer']!r}.") from exc
            if not Transfer.objects.filter(pk=transfer_id).exists():
                raise CommandError(f"No transfer with id {transfer_id}.")
        result = ledger_verify(transfer_id=transfer_id)
        if result.intact:
            self.stdout.write(f"custody ledger: intact ({result.entries} entries in {result.transfers} transfers)")
            return
        broken = result.first_break
        where = f"entry {broken.entry_id} (transfer {broken.transfer_id}, step {broken.seq})" if broken.entry_id \
            else f"transfer {broken.transfer_id} (no entries left)"
        self.stdout.write(f"custody ledger: BROKEN at {where}: {broken.reason}")
        raise CommandError(f"Custody ledger broken at {where}.")
