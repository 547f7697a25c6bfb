import pytest
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from apps.activity.models import ActivityEntry
from apps.core.errors import ApplicationError
from apps.tenants.models import Domain, Organisation
from apps.tenants.services import organisation_create


def _columns(schema: str) -> set[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                       "WHERE table_schema = %s", [schema])
        return set(cursor.fetchall())


def _triggers(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


def test_organisation_is_cloned_from_the_template_with_the_same_tables_and_guards(db, organisations):
    organisation = organisation_create(slug="gamma-metals", name_en="Gamma Metals", kind="recycler", country="CN")
    assert organisation.schema_name == "gamma_metals"
    assert schema_exists("gamma_metals")
    assert Domain.objects.get(tenant=organisation).domain == "gamma-metals.localhost"
    assert _columns("gamma_metals") == _columns("tenant_template")
    assert "activity_activityentry_append_only" in _triggers("gamma_metals")
    with schema_context("gamma_metals"):
        entry = ActivityEntry.objects.get()
        assert entry.verb == "organisation.created"
    # the clone carries the migration history, so later `migrate` runs treat it like any schema
    assert _applied("gamma_metals") == _applied("tenant_template") != set()


def _applied(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')
        return set(cursor.fetchall())


def test_taken_address_is_refused_and_nothing_is_created(db, organisations):
    with pytest.raises(ApplicationError) as excinfo:
        organisation_create(slug="alpha", name_en="Another Alpha", kind="exporter", country="CN")
    assert excinfo.value.code == "slug_taken"
    assert Organisation.objects.filter(slug="alpha").count() == 1


@pytest.mark.parametrize("field,value,code", [
    ("slug", "bad_slug", "slug_invalid"),
    ("country", "China", "country_invalid"),
    ("uscc", "91350100M000100Y44", "uscc_invalid"),
    ("eori", "123", "eori_invalid"),
    ("kind", "bank", "kind_invalid"),
])
def test_invalid_identifiers_are_refused_with_a_field(db, organisations, field, value, code):
    params = {"slug": "delta", "name_en": "Delta", "kind": "exporter", "country": "CN"}
    params[field] = value
    with pytest.raises(ApplicationError) as excinfo:
        organisation_create(**params)
    assert excinfo.value.code == code
    assert not schema_exists("delta")
    assert not Organisation.objects.filter(slug="delta").exists()
