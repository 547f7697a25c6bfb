"""Shared fixtures: the real PostgreSQL (one schema per organisation), Redis and Celery worker.

Two organisations, `alpha` (an exporter) and `beta` (a recycler), are created once per test
session by cloning the template schema. Transactional tests (browser, worker) truncate the public
tables when they end, so the organisation rows are recreated idempotently before each test that
needs them, and the tenant schemas' rows are cleared after such tests (see `committed`).
"""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import get_public_schema_name, schema_context

from apps.accounts.access import Access
from apps.accounts.roles import Role
from apps.tenants.models import Organisation
from apps.tenants.services import organisation_create, public_organisation_ensure

ROOT = Path(__file__).resolve().parent.parent

TEST_ORGANISATIONS = {
    "alpha": {"name_en": "Alpha Battery Export Co.", "name_zh": "阿尔法电池出口有限公司", "kind": "exporter",
              "country": "CN"},
    "beta": {"name_en": "Beta Recycling GmbH", "name_zh": "贝塔回收有限公司", "kind": "recycler", "country": "DE"},
}
KEPT_TENANT_TABLES = {"django_migrations", "django_content_type"}


def ensure_organisations() -> dict[str, Organisation]:
    public_organisation_ensure(domain=settings.CELLPASS_DOMAIN)
    organisations = {}
    for slug, spec in TEST_ORGANISATIONS.items():
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            organisation = organisation_create(slug=slug, **spec)
        organisations[slug] = organisation
    connection.set_schema_to_public()
    return organisations


def truncate_tenant_tables() -> None:
    """Clear the rows transactional tests committed in the test organisations' schemas."""
    with connection.cursor() as cursor:
        for slug in TEST_ORGANISATIONS:
            schema = slug.replace("-", "_")
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
            tables = [row[0] for row in cursor.fetchall() if row[0] not in KEPT_TENANT_TABLES]
            if tables:
                cursor.execute("TRUNCATE " + ", ".join(f'"{schema}"."{t}"' for t in tables) + " CASCADE")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ensure_organisations()
        truncate_tenant_tables()
    yield


@pytest.fixture
def organisations(db) -> dict[str, Organisation]:
    return ensure_organisations()


@pytest.fixture
def alpha(organisations) -> Organisation:
    return organisations["alpha"]


@pytest.fixture
def beta(organisations) -> Organisation:
    return organisations["beta"]


@pytest.fixture
def committed(transactional_db):
    """For tests whose data must be committed (browser, worker): recreates the organisations
    and clears their schemas afterwards."""
    organisations = ensure_organisations()
    yield organisations
    connection.set_schema_to_public()
    truncate_tenant_tables()


@pytest.fixture(autouse=True)
def _public_schema_after_each_test():
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request in another language (Accept-Language, the language switcher) activates it for the thread; the
    next test starts in the default language again, whatever ran before it."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    yield
    try:
        cache.clear()
    except Exception:  # noqa: BLE001 - a test may have stopped Redis on purpose
        pass


@pytest.fixture
def in_tenant():
    """Context manager: `with in_tenant(alpha): ...` runs in that organisation's schema."""
    return lambda organisation: schema_context(organisation.schema_name)


# --- people -----------------------------------------------------------------------------

@pytest.fixture
def make_member(db):
    from tests.accounts.factories import MembershipFactory, UserFactory

    def make(organisation: Organisation, role: str = Role.OWNER, **user_fields):
        user = UserFactory(**user_fields)
        MembershipFactory(user=user, organisation=organisation, role=role)
        return user

    return make


def access_for(user, organisation: Organisation, role: str) -> Access:
    return Access(organisation_id=organisation.pk, role=role, user_id=user.pk, label=user.email)


@pytest.fixture
def member_access(make_member):
    """`member_access(alpha, Role.STAFF)` -> (user, Access)."""

    def make(organisation: Organisation, role: str = Role.OWNER):
        user = make_member(organisation, role)
        return user, access_for(user, organisation, role)

    return make


def host_of(organisation: Organisation | None) -> str:
    if organisation is None:
        return settings.CELLPASS_DOMAIN
    return f"{organisation.slug}.{settings.CELLPASS_DOMAIN}"


@pytest.fixture
def client_for():
    """`client_for(user, alpha)`: a test client signed in as `user`, talking to alpha's host
    (or to the public site when the organisation is None).

    The session is verified by a TOTP device (as after the TOTP step) when `otp` is true, and by
    default when the user's role requires it (settings.OTP_REQUIRED_ROLES) or they have a device."""

    def make(user=None, organisation: Organisation | None = None, otp: bool | None = None, **extra) -> Client:
        from tests.accounts.factories import verify_session

        client = Client(HTTP_HOST=host_of(organisation), **extra)
        if user is not None:
            client.cellpass_otp = otp
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            if otp:
                verify_session(client, user)
        return client

    return make


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """`Client.force_login` stands for a finished sign-in: for a user whose role requires TOTP
    (settings.OTP_REQUIRED_ROLES) or who has a device, the session is verified too, as after the TOTP
    step. A client with `cellpass_otp = False` (`client_for(..., otp=False)`) stays unverified."""
    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if getattr(self, "cellpass_otp", None) is None:
            from django_otp.plugins.otp_totp.models import TOTPDevice

            from tests.accounts.factories import otp_required_for, verify_session

            if otp_required_for(user) or TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                verify_session(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


# --- real Celery worker -----------------------------------------------------------------

@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real `celery worker` process on the test database and the test Redis database."""
    from config.celery import app

    db = settings.DATABASES["default"]
    database_url = f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test", PYTHONUNBUFFERED="1",
               DATABASE_URL=database_url)
    app.control.purge()
    suffix = f"-{settings.XDIST_WORKER}" if settings.XDIST_WORKER else ""
    log_path = ROOT / "test-artifacts" / f"celery-worker{suffix}.log"
    log_path.parent.mkdir(exist_ok=True)
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "celery,pdf", "-c", "2",
         "--loglevel", "INFO", "-n", f"test-{os.getpid()}@%h", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited; see {log_path}")
        if app.control.ping(timeout=0.5):
            break
    else:
        process.kill()
        raise RuntimeError(f"the Celery worker did not answer within 60 s; see {log_path}")
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture
def wait_for():
    """Poll `predicate` until it is truthy (a real worker is asynchronous)."""

    def wait(predicate, timeout: float = 30.0, interval: float = 0.2):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            connection.set_schema_to_public()
            result = predicate()
            if result:
                return result
            time.sleep(interval)
        raise AssertionError(f"condition not met within {timeout} s")

    return wait


def public_schema() -> str:
    return get_public_schema_name()
