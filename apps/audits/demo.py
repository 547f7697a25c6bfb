"""Demo: the auditor of the demo has an active engagement on SinoEV (whole organisation) with a
finding and its answer; the auditor and the demo owners get TOTP devices with fixed, documented
keys, printed by `seed_demo` so that a person can add them to an authenticator app
(`manage.py demo_totp` prints the current codes). Idempotent."""
import hashlib
from base64 import b32encode
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.accounts.models import Membership, User
from apps.accounts.roles import Role

from .findings.models import Finding, Severity, TargetKind
from .findings.services import finding_answer, finding_raise
from .forms import day_start
from .models import Engagement, EngagementScope
from .services import engagement_accept, engagement_grant

AUDITOR_EMAIL = "auditor@audit.demo"
DEMO_DEVICE_NAME = "demo authenticator"


def demo_totp_key(email: str) -> str:
    """A fixed key per demo person (hex, 20 bytes): the same on every machine and every run.
    Demo only: real devices get random keys."""
    return hashlib.sha1(f"cellpass-demo-totp:{email}".encode()).hexdigest()  # noqa: S324 - not for security


def demo_totp_base32(email: str) -> str:
    return b32encode(bytes.fromhex(demo_totp_key(email))).decode("ascii")


def _ensure_device(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, key=demo_totp_key(user.email),
                                           confirmed=True)
    return device


def _demo_people_needing_totp(users: dict[str, User]) -> list[User]:
    roles = set(settings.OTP_REQUIRED_ROLES)
    people = [user for email, user in users.items() if email == AUDITOR_EMAIL
              or Membership.objects.filter(user=user, role__in=roles).exists()]
    return sorted(people, key=lambda u: u.email)


@transaction.atomic
def seed(context: dict[str, Any]) -> None:
    organisations, users = context["organisations"], context["users"]
    sinoev, auditor = organisations["sinoev"], users[AUDITOR_EMAIL]
    keys = {}
    for user in _demo_people_needing_totp(users):
        device = _ensure_device(user)
        keys[user.email] = (b32encode(device.bin_key).decode("ascii")
                            if device.name == DEMO_DEVICE_NAME else "(own authenticator)")
    context["logins"] = [(email, password, f"{roles}; TOTP key {keys[email]}" if email in keys else roles)
                         for email, password, roles in context.get("logins", [])]

    now = timezone.now()
    engagement = (Engagement.objects.filter(organisation=sinoev, auditor_email=AUDITOR_EMAIL, revoked_at__isnull=True,
                                            ends_at__gt=now).order_by("-starts_at").first())
    if engagement is None:
        owner = users["owner@sinoev.demo"]
        access = Access(organisation_id=sinoev.pk, role=Role.OWNER, user_id=owner.pk, label=owner.email)
        engagement = engagement_grant(
            access=access, organisation=sinoev, auditor_email=AUDITOR_EMAIL, scope=EngagementScope.ORGANISATION,
            starts_at=day_start(now.date() - timedelta(days=7)), ends_at=day_start(now.date() + timedelta(days=180)),
            purpose="EU Battery Regulation — recycled-content and due-diligence audit (demo)")
    if engagement.accepted_at is None:
        engagement = engagement_accept(engagement=engagement, user=auditor)
    _seed_finding(sinoev, engagement, auditor, users["manager@sinoev.demo"])


def _seed_finding(sinoev, engagement: Engagement, auditor: User, manager: User) -> None:
    with schema_context(sinoev.schema_name):
        if Finding.objects.filter(engagement_id=engagement.pk).exists():
            return
        auditor_access = Access(organisation_id=sinoev.pk, role=Role.AUDITOR, user_id=auditor.pk,
                                label=auditor.email, engagement_id=engagement.pk)
        finding = finding_raise(
            access=auditor_access, target_kind=TargetKind.REQUIREMENT, target_id="recycling-certificate",
            severity=Severity.MINOR, title="Recycling certificate does not name the receiving plant",
            text="The certificate of recycling for the 2026 Q1 consignments names the recycler but not the plant "
                 "where the batteries were processed. Please provide a certificate that names it.")
        manager_access = Access(organisation_id=sinoev.pk, role=Role.COMPLIANCE_MANAGER, user_id=manager.pk,
                                label=manager.email)
        finding_answer(access=manager_access, finding=finding,
                       text="We have asked EcoCycle for a corrected certificate and will upload it this week.")

