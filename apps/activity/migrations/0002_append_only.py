from django.db import migrations

from apps.core.db import append_only_sql

forward, reverse = append_only_sql("activity_activityentry")


class Migration(migrations.Migration):
    dependencies = [("activity", "0001_initial")]

    operations = [migrations.RunSQL(forward, reverse)]
