"""An auditor never uploads, reviews or changes anything: every route of the organisation host
(read from the URL configuration, so routes added later are covered too) refuses their writes.

For each route, as an auditor with an active whole-organisation engagement and a TOTP-verified
session: POST, PUT, PATCH and DELETE answer 403, 404 or 405 — or, for a read-only page that
ignores the method, exactly what GET answers — and nothing in the organisation's schema or the
public schema changes. The only writes an auditor may make are raising findings and replying on
their own ones (tested in test_findings.py); here those answer 400 for an empty form.
"""
import pytest
from django.db import connection
from django.urls import get_resolver
from django_tenants.utils import schema_context

from apps.accounts import services as account_services
from apps.accounts.models import Invitation, Membership
from apps.accounts.roles import Role
from apps.audits.findings.models import TargetKind
from apps.audits.findings.services import finding_raise
from tests.core.test_isolation import OPEN_ROUTES, _walk

from .conftest import make_revision, make_shipment

WRITE_METHODS = ("post", "put", "patch", "delete")
REFUSED = {403, 404, 405}
# Routes where an auditor may write: an empty form is refused as invalid (400), nothing is stored.
AUDITOR_WRITES = {
    "audits/findings/new/", "audits/findings/<uuid:finding_id>/reply/", "audits/findings/<uuid:finding_id>/reopen/",
    "api/v1/findings/", "api/v1/findings/<uuid:finding_id>/reply/", "api/v1/findings/<uuid:finding_id>/reopen/",
}
# Logs that a request itself writes: sessions, sign-in attempts, the auditor's access log.
UNWATCHED_TABLES = {"django_session", "audits_accesslog", "axes_accesslog", "axes_accessattempt",
                    "axes_accessfailurelog", "axes_accessattemptexpiration"}


def routes() -> list[str]:
    return sorted(r for r in set(_walk(get_resolver("config.urls_tenant").url_patterns))
                  if r not in OPEN_ROUTES and not r.startswith("^") and "(?P" not in r)


def fingerprint() -> dict[str, str]:
    """md5 of every row of every table of the public and alpha schemas, in one query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT schemaname, tablename FROM pg_tables WHERE schemaname IN ('public', 'alpha')")
        tables = [(s, t) for s, t in cursor.fetchall() if t not in UNWATCHED_TABLES]
        parts = [f"SELECT '{s}.{t}', md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) "
                 f'FROM "{s}"."{t}" x' for s, t in tables]
        cursor.execute(" UNION ALL ".join(parts))
        return dict(cursor.fetchall())


@pytest.fixture
def world(alpha, auditor_client, member_access, make_member):
    """An auditor of alpha, and real objects of alpha for the ids in the routes."""
    client, user, engagement = auditor_client(alpha)
    owner, access = member_access(alpha, Role.OWNER)
    staff = make_member(alpha, Role.STAFF)
    shipment = make_shipment(alpha, "SH-W")
    revision = make_revision(alpha, shipments=[shipment])
    invitation = account_services.invitation_create(access=access, organisation=alpha, email="new@example.test",
                                                    role=Role.VIEWER, inviter=owner)
    key, _plaintext = account_services.apikey_create(access=access, organisation=alpha, name="ERP",
                                                     role=Role.STAFF, creator=owner)
    with schema_context("alpha"):
        finding = finding_raise(access=_auditor_access(user, engagement, alpha), target_kind=TargetKind.SHIPMENT,
                                target_id=str(shipment.pk), severity="minor", title="t", text="x")
    connection.set_schema_to_public()
    ids = {"engagement_id": engagement.pk, "finding_id": finding.pk, "shipment_id": shipment.pk,
           "revision_id": revision.pk, "evidence_id": revision.evidence_id, "key_id": key.pk,
           "membership_id": Membership.objects.get(user=staff).pk, "invitation_id": invitation.pk}
    assert Invitation.objects.filter(pk=invitation.pk).exists()
    return client, ids


def _auditor_access(user, engagement, organisation):
    from apps.accounts.access import Access

    return Access(organisation_id=organisation.pk, role=Role.AUDITOR, user_id=user.pk, label=user.email,
                  engagement_id=engagement.pk)


def _path(route: str, ids: dict) -> str:
    import re
    import uuid

    def value(match):
        converter, name = match.group(1) or "str", match.group(2)
        if name in ids:
            return str(ids[name])
        return {"uuid": str(uuid.uuid4()), "int": "1"}.get(converter, "x")

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def test_the_walk_sees_the_write_routes():
    found = routes()
    assert "members/" in found and "audits/engagements/<uuid:engagement_id>/revoke/" in found
    assert "api/v1/engagements/" in found and AUDITOR_WRITES <= set(found)


@pytest.mark.parametrize("route", routes())
def test_auditor_cannot_write_through_any_route(world, route):
    client, ids = world
    path = _path(route, ids)
    before = fingerprint()
    get_status = client.get(path).status_code
    for method in WRITE_METHODS:
        if method == "post":
            response = client.post(path, {})
        else:
            response = getattr(client, method)(path, "{}", content_type="application/json")
        status = response.status_code
        if route in AUDITOR_WRITES and method == "post":
            assert status in REFUSED | {400}, f"{method.upper()} {path} -> {status}"
        else:
            assert status in REFUSED or (status == get_status and status < 400 and route not in AUDITOR_WRITES), \
                f"{method.upper()} {path} -> {status} (GET {get_status})"
    assert fingerprint() == before, f"a write through {path} changed data"
