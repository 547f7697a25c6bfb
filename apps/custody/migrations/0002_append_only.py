"""The ledger and the records written once (receipts, comments, processing, certificates) refuse UPDATE and
DELETE in the database itself, whatever the code does."""
from django.db import migrations

from apps.core.db import append_only_sql

TABLES = ["custody_ledgerentry", "custody_receipt", "custody_paperreceipt", "custody_discrepancycomment",
          "custody_processingrecord", "custody_recyclingcertificate"]


class Migration(migrations.Migration):
    dependencies = [("custody", "0001_ledger")]

    operations = [migrations.RunSQL(*append_only_sql(table)) for table in TABLES]
