"""Evaluations and their requirement results are history: the tables refuse UPDATE and DELETE."""
from django.db import migrations

from apps.core.db import append_only_sql

evaluation_forward, evaluation_reverse = append_only_sql("checklists_evaluation")
result_forward, result_reverse = append_only_sql("checklists_requirementresult")


class Migration(migrations.Migration):
    dependencies = [("checklists", "0001_evaluations")]

    operations = [
        migrations.RunSQL(evaluation_forward, evaluation_reverse),
        migrations.RunSQL(result_forward, result_reverse),
    ]
