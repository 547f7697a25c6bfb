"""The role matrix: what each role may do, asserted cell by cell."""
import pytest

from apps.accounts.roles import MEMBER_ROLES, Perm, Role, assignable_roles, role_can

OW, M, S, V, A = Role.OWNER, Role.COMPLIANCE_MANAGER, Role.STAFF, Role.VIEWER, Role.AUDITOR

# perm: roles that have it (everything not listed is refused)
MATRIX = {
    Perm.VIEW: {OW, M, S, V, A},
    Perm.REGISTER_EDIT: {OW, M, S},
    Perm.REGISTER_IMPORT: {OW, M, S},
    Perm.EVIDENCE_UPLOAD: {OW, M, S},
    Perm.EVIDENCE_REVIEW: {OW, M},
    Perm.CHECKLIST_RUN: {OW, M, S},
    Perm.CHECKLIST_CONFIGURE: {OW, M},
    Perm.CUSTODY_DISPATCH: {OW, M, S},
    Perm.CUSTODY_RECEIVE: {OW, M, S},
    Perm.DOSSIER_GENERATE: {OW, M, S},
    Perm.DOSSIER_DOWNLOAD: {OW, M, S, V, A},
    Perm.FINDING_RAISE: {A},
    Perm.FINDING_ANSWER: {OW, M, S},
    Perm.ENGAGEMENT_MANAGE: {OW, M},
    Perm.MEMBER_VIEW: {OW, M, S, V},
    Perm.MEMBER_MANAGE: {OW, M},
    Perm.APIKEY_MANAGE: {OW},
    Perm.ACTIVITY_VIEW: {OW, M},
    Perm.ORGANISATION_EDIT: {OW},
}


def test_matrix_covers_every_permission():
    assert set(MATRIX) == set(Perm)


@pytest.mark.parametrize("perm", list(Perm))
@pytest.mark.parametrize("role", list(Role))
def test_role_permission_cell(role, perm):
    assert role_can(role, perm) is (role in MATRIX[perm])


def test_counterparty_role_grants_nothing_inside_an_organisation():
    assert not any(role_can(Role.COUNTERPARTY, perm) for perm in Perm)


def test_owners_grant_every_member_role_managers_not_owner():
    assert set(assignable_roles(OW)) == set(MEMBER_ROLES)
    assert Role.OWNER not in assignable_roles(M)
    assert assignable_roles(S) == () and assignable_roles(V) == ()


def test_unknown_role_has_no_permission():
    assert not role_can("janitor", Perm.VIEW)
