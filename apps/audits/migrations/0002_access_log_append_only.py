from django.db import migrations

from apps.core.db import append_only_sql

forward, reverse = append_only_sql("audits_accesslog")


class Migration(migrations.Migration):
    dependencies = [("audits", "0001_engagements_access_log")]

    operations = [migrations.RunSQL(forward, reverse)]
