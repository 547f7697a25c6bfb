"""What an auditor's request costs compared with a member's: resolving the engagement (at request
time, with its window and revocation), checking the TOTP device, and writing the access-log line."""
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.accounts.access import Access
from apps.accounts.models import Membership, User
from apps.accounts.roles import Role
from apps.audits.models import AccessLog
from apps.audits.services import engagement_accept, engagement_grant
from apps.tenants.models import Organisation
from apps.tenants.services import organisation_create, public_organisation_ensure
from benchmarks.common import Result, timed

REQUESTS = 100
ROUNDS = 5


def _client(user: User, host: str, otp: bool) -> Client:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(HTTP_HOST=host)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if otp:
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def run() -> list[Result]:
    public_organisation_ensure(domain=settings.CELLPASS_DOMAIN)
    organisation = (Organisation.objects.filter(slug="bench-audit").first()
                    or organisation_create(slug="bench-audit", name_en="Bench Audit", kind="exporter", country="CN"))
    connection.set_schema_to_public()
    host = f"bench-audit.{settings.CELLPASS_DOMAIN}"
    owner = User.objects.create_user(email="owner@bench.test", password=None)
    viewer = User.objects.create_user(email="viewer@bench.test", password=None)
    auditor = User.objects.create_user(email="auditor@bench.test", password=None)
    Membership.objects.create(user=owner, organisation=organisation, role=Role.OWNER)
    Membership.objects.create(user=viewer, organisation=organisation, role=Role.VIEWER)
    now = timezone.now()
    engagement = engagement_grant(
        access=Access(organisation_id=organisation.pk, role=Role.OWNER, user_id=owner.pk, label=owner.email),
        organisation=organisation, auditor_email=auditor.email, scope="organisation",
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    engagement_accept(engagement=engagement, user=auditor)
    member_client, auditor_client = _client(viewer, host, otp=False), _client(auditor, host, otp=True)

    def browse(client):
        def go():
            for _ in range(REQUESTS):
                assert client.get("/audits/findings/").status_code == 200
        return go

    browse(member_client)()  # warm-up
    browse(auditor_client)()
    member = timed(browse(member_client), repeat=ROUNDS)
    audited = timed(browse(auditor_client), repeat=ROUNDS)
    logged = AccessLog.objects.filter(engagement=engagement).count()
    return [Result("auditor request vs member request (findings page)", audited / REQUESTS * 1000,
                   member / REQUESTS * 1000, "ms", ratio=audited / member, target=2.0, higher_is_better=False,
                   note=f"median of {ROUNDS} x {REQUESTS} requests; the auditor's include the engagement "
                        f"lookup, the TOTP device and the access-log insert ({logged} lines written)")]
