"""Fixtures for auditor engagements: shipments and evidence in a tenant, engagements granted
through the service, auditors with a TOTP device and a verified session."""
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.accounts.roles import Role
from apps.audits import services
from apps.audits.models import Engagement, EngagementScope
from apps.evidence.models import Evidence, EvidenceRevision, EvidenceType
from apps.traceability.models import Shipment, ShipmentDirection
from tests.accounts.factories import UserFactory, totp_device


def make_shipment(organisation, reference: str) -> Shipment:
    with schema_context(organisation.schema_name):
        return Shipment.objects.create(reference=reference, direction=ShipmentDirection.OUTBOUND,
                                       counterparty_name="EcoCycle GmbH", counterparty_country="DE")


def make_revision(organisation, *, shipments=(), title="Certificate of recycling") -> EvidenceRevision:
    with schema_context(organisation.schema_name):
        evidence = Evidence.objects.create(doc_type=EvidenceType.choices[0][0], title=title)
        evidence.shipments.set(shipments)
        return EvidenceRevision.objects.create(
            evidence=evidence, number=1, storage_name=f"x/{evidence.pk}.pdf", original_filename="certificate.pdf",
            sha256="0" * 64, size=1024, content_type="application/pdf")


@pytest.fixture
def shipments(alpha):
    """Two shipments of alpha: SH-1 and SH-2."""
    return [make_shipment(alpha, "SH-1"), make_shipment(alpha, "SH-2")]


@pytest.fixture
def manager_access(member_access):
    """`manager_access(alpha)` -> (owner user, owner Access)."""
    return lambda organisation, role=Role.OWNER: member_access(organisation, role)


@pytest.fixture
def grant(member_access, django_capture_on_commit_callbacks):
    """`grant(alpha, "a@x.test", scope=..., starts_at=..., ends_at=...)` through the service
    (the invitation e-mail is sent)."""

    def make(organisation, email: str = "auditor@audit.test", *, scope: str = EngagementScope.ORGANISATION,
             starts_at=None, ends_at=None, shipment_ids=(), dossier_ids=(), access: Access | None = None):
        now = timezone.now()
        if access is None:
            _owner, access = member_access(organisation, Role.OWNER)
        with django_capture_on_commit_callbacks(execute=True):
            return services.engagement_grant(
                access=access, organisation=organisation, auditor_email=email, scope=scope,
                starts_at=starts_at or now - timedelta(hours=1), ends_at=ends_at or now + timedelta(days=30),
                shipment_ids=shipment_ids, dossier_ids=dossier_ids, purpose="Annual audit")

    return make


def accept(engagement: Engagement, user) -> Engagement:
    return services.engagement_accept(engagement=engagement, user=user)


@pytest.fixture
def auditor_of(grant):
    """`auditor_of(alpha, scope=..., ...)` -> (auditor user with a TOTP device, accepted engagement)."""

    def make(organisation, email: str | None = None, **grant_kwargs):
        user = UserFactory(email=email) if email else UserFactory()
        totp_device(user)
        engagement = grant(organisation, user.email, **grant_kwargs)
        return user, accept(engagement, user)

    return make


@pytest.fixture
def auditor_client(auditor_of, client_for):
    """`auditor_client(alpha, **grant_kwargs)` -> (client on alpha's host with a TOTP-verified
    session, user, engagement)."""

    def make(organisation, **grant_kwargs):
        user, engagement = auditor_of(organisation, **grant_kwargs)
        return client_for(user, organisation, otp=True), user, engagement

    return make
