from django.db import migrations

from apps.core.db import append_only_sql

forward, reverse = append_only_sql("findings_findingmessage")


class Migration(migrations.Migration):
    dependencies = [("findings", "0001_findings_messages")]

    operations = [migrations.RunSQL(forward, reverse)]
