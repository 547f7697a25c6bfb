"""`migrate_schemas` / `migrate` that also keeps the template schema current.

New organisations are cloned from TENANT_BASE_SCHEMA (see settings), so that schema must exist
and carry every tenant migration. It is migrated right after the public schema, before the
organisations, whenever all schemas are migrated.
"""
from django.conf import settings
from django.db import connection
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.utils import schema_exists


class Command(MigrateSchemasCommand):
    def handle(self, *args, **options):
        super().handle(*args, **options)
        template = getattr(settings, "TENANT_BASE_SCHEMA", None)
        if template and self.sync_tenant and not options.get("schema_name"):
            ensure_template_schema(template, self.options)


def ensure_template_schema(template: str, options: dict) -> None:
    from django_tenants.migration_executors import get_executor

    if not schema_exists(template):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{template}"')
    executor = get_executor(codename=options.get("executor"))((), options)
    executor.run_migrations(tenants=[template])
    connection.set_schema_to_public()
