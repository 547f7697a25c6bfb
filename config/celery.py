"""Celery application: tenant-aware (each task runs in the schema it was enqueued from)."""
import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = CeleryApp("cellpass")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
