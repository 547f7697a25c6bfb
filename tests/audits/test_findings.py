"""Findings: raised by the auditor on a requirement, an evidence revision or a shipment (within
the scope), answered and resolved by the organisation, reopened by the auditor; the thread is
append-only; visible to the organisation's members and to the auditor of that engagement only."""
import uuid

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_context

from apps.accounts.roles import Role
from apps.activity.models import ActivityEntry
from apps.audits.findings.models import Finding, FindingMessage, FindingStatus, MessageKind
from apps.audits.models import EngagementScope

from .conftest import make_revision


def raise_on(client, **target):
    data = {"severity": "major", "title": "Mass mismatch", "text": "The manifest says 1200 kg, the receipt 1100 kg.",
            "shipment": "", "evidence_revision": "", "requirement": "", **target}
    return client.post("/audits/findings/new/", data)


def test_auditor_raises_a_finding_on_a_shipment_and_the_organisation_is_told_in_two_languages(
        alpha, auditor_client, shipments, make_member, django_capture_on_commit_callbacks):
    owner = make_member(alpha, Role.OWNER)
    make_member(alpha, Role.STAFF)
    client, user, engagement = auditor_client(alpha)
    form = client.get("/audits/findings/new/").content.decode()
    assert "SH-1" in form and "SH-2" in form
    with django_capture_on_commit_callbacks(execute=True):
        response = raise_on(client, shipment=str(shipments[0].pk))
    with schema_context("alpha"):
        finding = Finding.objects.get()
        assert (finding.target_kind, finding.target_id, finding.target_label) == ("shipment", str(shipments[0].pk),
                                                                                "SH-1")
        assert finding.engagement_id == engagement.pk and finding.number == 1 and finding.status == "open"
        assert [m.kind for m in finding.messages.all()] == [MessageKind.RAISED]
        entry = ActivityEntry.objects.get(verb="finding.raised")
    assert response["Location"] == f"/audits/findings/{finding.pk}/"
    assert entry.actor_id == user.pk and entry.data["target_kind"] == "shipment"
    message = mail.outbox[-1]
    staff_emails = set(alpha.memberships.filter(role=Role.STAFF).values_list("user__email", flat=True))
    assert owner.email in message.to and not staff_emails & set(message.to)  # owners and managers, not staff
    assert "F-1" in message.subject and "审核发现" in message.subject and "Audit finding" in message.subject
    assert "http://alpha.localhost:8000/audits/findings/" in message.body


def test_findings_on_a_requirement_and_an_evidence_revision(alpha, auditor_client, shipments):
    client, _user, _engagement = auditor_client(alpha)
    revision = make_revision(alpha, shipments=[shipments[0]])
    assert raise_on(client, requirement="eu-recycled-content-co").status_code == 302
    assert raise_on(client, evidence_revision=str(revision.pk)).status_code == 302
    with schema_context("alpha"):
        labels = dict(Finding.objects.values_list("target_kind", "target_label"))
    assert labels["requirement"] == "eu-recycled-content-co"
    assert labels["evidence_revision"] == "Certificate of recycling · r1 (certificate.pdf)"


@pytest.mark.parametrize("target,field_error", [
    ({}, "Choose exactly one thing"),
    ({"requirement": "bad id with spaces"}, "A requirement identifier"),
    ({"evidence_revision": "not-a-uuid"}, "Nothing with this identifier"),
    ({"evidence_revision": str(uuid.uuid4())}, "Nothing with this identifier"),
])
def test_bad_targets_are_refused_and_nothing_is_stored(alpha, auditor_client, target, field_error):
    client, _user, _engagement = auditor_client(alpha)
    response = raise_on(client, **target)
    assert response.status_code == 400 and field_error in response.content.decode()
    with schema_context("alpha"):
        assert not Finding.objects.exists() and not FindingMessage.objects.exists()


def test_targets_outside_a_restricted_scope_are_not_found(alpha, auditor_client, shipments):
    client, _user, _engagement = auditor_client(alpha, scope=EngagementScope.SELECTION,
                                                shipment_ids=[shipments[0].pk])
    inside = make_revision(alpha, shipments=[shipments[0]])
    outside = make_revision(alpha, shipments=[shipments[1]], title="Other manifest")
    form = client.get("/audits/findings/new/").content.decode()
    assert "SH-1" in form and "SH-2" not in form
    # a shipment outside the scope cannot even be chosen, and through the API it is not found
    assert raise_on(client, shipment=str(shipments[1].pk)).status_code == 400
    api = client.post("/api/v1/findings/", {"target_kind": "shipment", "target_id": str(shipments[1].pk),
                                            "severity": "minor", "title": "x", "text": "y"},
                      content_type="application/json")
    assert api.status_code == 404 and api.json()["code"] == "target_not_found"
    assert raise_on(client, evidence_revision=str(outside.pk)).status_code == 400
    assert raise_on(client, evidence_revision=str(inside.pk)).status_code == 302
    assert raise_on(client, shipment=str(shipments[0].pk)).status_code == 302
    with schema_context("alpha"):
        assert Finding.objects.count() == 2


def test_thread_answer_reply_resolve_reopen(alpha, auditor_client, make_member, client_for,
                                            django_capture_on_commit_callbacks):
    client, auditor, _engagement = auditor_client(alpha)
    staff = make_member(alpha, Role.STAFF)
    member = client_for(staff, alpha)
    raise_on(client, requirement="recycling-certificate")
    with schema_context("alpha"):
        finding = Finding.objects.get()
    url = f"/audits/findings/{finding.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        assert member.post(url + "answer/", {"text": "A corrected certificate is on its way."}).status_code == 302
    assert mail.outbox[-1].to == [auditor.email] and "answered" in mail.outbox[-1].subject
    assert client.post(url + "reply/", {"text": "Please also give the plant address."}).status_code == 302
    assert member.post(url + "resolve/", {"text": "Uploaded."}).status_code == 302
    refused = member.post(url + "answer/", {"text": "late"})
    assert refused.status_code == 400 and "reopen it" in refused.content.decode()
    assert client.post(url + "reopen/", {"text": "The address is still missing."}).status_code == 302
    with schema_context("alpha"):
        finding.refresh_from_db()
        kinds = list(finding.messages.values_list("kind", "from_auditor"))
        verbs = list(ActivityEntry.objects.filter(object_id=str(finding.pk)).order_by("id")
                     .values_list("verb", flat=True))
    assert finding.status == FindingStatus.OPEN and finding.resolved_at is None
    assert kinds == [("raised", True), ("answer", False), ("reply", True), ("resolution", False),
                     ("reopening", True)]
    assert verbs == ["finding.raised", "finding.answered", "finding.replied", "finding.resolved", "finding.reopened"]
    page = member.get(url).content.decode()
    assert page.index("A corrected certificate") < page.index("Please also give") < page.index("still missing")


def test_empty_answer_is_refused_in_the_users_language(alpha, auditor_client, make_member, client_for):
    client, _auditor, _engagement = auditor_client(alpha)
    raise_on(client, requirement="r1")
    with schema_context("alpha"):
        finding = Finding.objects.get()
    staff = make_member(alpha, Role.STAFF, language="zh-hans")
    response = client_for(staff, alpha).post(
        f"/audits/findings/{finding.pk}/answer/", {"text": "  "})
    assert response.status_code == 400 and "该字段是必填项" in response.content.decode()


def test_messages_are_append_only_in_the_database(alpha, auditor_client):
    client, _auditor, _engagement = auditor_client(alpha)
    raise_on(client, requirement="r1")
    with schema_context("alpha"):
        message = FindingMessage.objects.get()
        for statement in (f"UPDATE findings_findingmessage SET text = 'changed' WHERE id = {message.pk}",
                          f"DELETE FROM findings_findingmessage WHERE id = {message.pk}"):
            with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
        assert FindingMessage.objects.get().text.startswith("The manifest")


@pytest.mark.parametrize("role,can_answer", [(Role.OWNER, True), (Role.COMPLIANCE_MANAGER, True),
                                             (Role.STAFF, True), (Role.VIEWER, False)])
def test_members_see_every_finding_and_answer_by_role(alpha, auditor_client, make_member, client_for, role,
                                                      can_answer):
    first, _a, _e = auditor_client(alpha)
    second, _b, _f = auditor_client(alpha)
    raise_on(first, requirement="r1", title="From the first auditor")
    raise_on(second, requirement="r2", title="From the second auditor")
    member = client_for(make_member(alpha, role), alpha)
    page = member.get("/audits/findings/").content.decode()
    assert "From the first auditor" in page and "From the second auditor" in page
    with schema_context("alpha"):
        finding = Finding.objects.first()
    response = member.post(f"/audits/findings/{finding.pk}/answer/", {"text": "ok"})
    assert response.status_code == (302 if can_answer else 403)
    assert member.post(f"/audits/findings/{finding.pk}/reply/", {"text": "x"}).status_code == 403
    assert member.get("/audits/findings/new/").status_code == 403


def test_an_auditor_sees_only_the_findings_of_their_engagement(alpha, auditor_client):
    first, _a, _e = auditor_client(alpha)
    second, _b, _f = auditor_client(alpha)
    raise_on(first, requirement="r1", title="Mine")
    raise_on(second, requirement="r2", title="Someone else's")
    with schema_context("alpha"):
        other = Finding.objects.get(title="Someone else's")
    page = first.get("/audits/findings/").content.decode()
    assert "Mine" in page and "Someone else" not in page
    assert first.get(f"/audits/findings/{other.pk}/").status_code == 404
    assert first.post(f"/audits/findings/{other.pk}/reply/", {"text": "x"}).status_code == 404
    assert first.get(f"/api/v1/findings/{other.pk}/").status_code == 404
    assert [f["title"] for f in first.get("/api/v1/findings/").json()["results"]] == ["Mine"]


def test_findings_of_another_organisation_are_not_found(alpha, beta, auditor_client, make_member, client_for):
    beta_auditor, _u, _e = auditor_client(beta)
    raise_on(beta_auditor, requirement="r1")
    with schema_context("beta"):
        finding = Finding.objects.get()
    alpha_client, _a, _f = auditor_client(alpha)
    owner = client_for(make_member(alpha, Role.OWNER), alpha)
    for client in (alpha_client, owner):
        assert client.get(f"/audits/findings/{finding.pk}/").status_code == 404
        assert client.get(f"/api/v1/findings/{finding.pk}/").status_code == 404
    assert owner.post(f"/audits/findings/{finding.pk}/answer/", {"text": "x"}).status_code == 404
    assert owner.post(f"/api/v1/findings/{finding.pk}/resolve/", {}, content_type="application/json"
                      ).status_code == 404


def test_finding_list_has_a_query_budget(alpha, auditor_client, make_member, client_for,
                                         django_assert_max_num_queries):
    client, _a, _e = auditor_client(alpha)
    for index in range(5):
        raise_on(client, requirement=f"r{index}")
    member = client_for(make_member(alpha, Role.STAFF), alpha)
    # 6 queries whatever the number of findings (domain, session, user, access, findings, navigation),
    # each after django-tenants' SET search_path; an auditor adds the device, the engagement and the log line
    with django_assert_max_num_queries(12):
        assert member.get("/audits/findings/").status_code == 200
    with django_assert_max_num_queries(18):
        assert client.get("/audits/findings/").status_code == 200


def test_forged_finding_post_without_csrf_token_is_refused(alpha, auditor_of):
    from django.test import Client

    from tests.accounts.factories import verify_session

    user, _engagement = auditor_of(alpha)
    client = Client(HTTP_HOST="alpha.localhost", enforce_csrf_checks=True)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    verify_session(client, user)
    assert raise_on(client, requirement="r1").status_code == 403
    api = client.post("/api/v1/findings/", {"target_kind": "requirement", "target_id": "r1", "severity": "minor",
                                            "title": "t", "text": "x"}, content_type="application/json")
    assert api.status_code == 403
    with schema_context("alpha"):
        assert not Finding.objects.exists()
