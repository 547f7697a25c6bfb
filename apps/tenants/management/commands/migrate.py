from .migrate_schemas import Command as MigrateSchemasCommand


class Command(MigrateSchemasCommand):
    """Django's `migrate` (also used by the test runner) migrates every schema and the template."""
