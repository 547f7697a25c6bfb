"""Creating an organisation by cloning the template schema vs by running every migration."""
from django.conf import settings
from django.db import connection
from django.test import override_settings

from apps.tenants.services import organisation_create, public_organisation_ensure
from benchmarks.common import Result, timed

ROUNDS = 3


def _create(prefix: str, i: int) -> None:
    organisation_create(slug=f"{prefix}-{i}", name_en=f"Bench {prefix} {i}", kind="exporter", country="CN")
    connection.set_schema_to_public()


def run() -> list[Result]:
    public_organisation_ensure(domain=settings.CELLPASS_DOMAIN)
    counter = {"clone": 0, "migrate": 0}

    def clone():
        counter["clone"] += 1
        _create("bench-clone", counter["clone"])

    def migrate():
        counter["migrate"] += 1
        with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False):
            _create("bench-migrate", counter["migrate"])

    clone()  # warm-up: installs the clone function
    cloned = timed(clone, repeat=ROUNDS)
    migrated = timed(migrate, repeat=ROUNDS)
    return [Result("organisation creation: clone template vs run migrations", cloned, migrated, "s",
                   ratio=migrated / cloned, target=1.0, higher_is_better=True,
                   note=f"median of {ROUNDS}; ratio = migrate time / clone time (higher: cloning is faster)")]
