"""The role matrix: what each role may do, asserted cell by cell."""
import pytest

from apps.accounts.roles import MEMBER_ROLES, Perm, Role, assignable_roles, role_can

O, M, S, V, A = Role.OWNER, Role.COMPLIANCE_MANAGER, Role.STAFF, Role.VIEWER, Role.AUDITOR

# perm: roles that have it (everything not listed is refused)
MATRIX = {
    Perm.VIEW: {O, M, S, V, A},
    Perm.REGISTER_EDIT: {O, M, S},
    Perm.REGISTER_IMPORT: {O, M, S},
    Perm.EVIDENCE_UPLOAD: {O, M, S},
    Perm.EVIDENCE_REVIEW: {O, M},
    Perm.CHECKLIST_RUN: {O, M, S},
    Perm.CHECKLIST_CONFIGURE: {O, M},
    Perm.CUSTODY_DISPATCH: {O, M, S},
    Perm.CUSTODY_RECEIVE: {O, M, S},
    Perm.DOSSIER_GENERATE: {O, M, S},
    Perm.DOSSIER_DOWNLOAD: {O, M, S, V, A},
    Perm.FINDING_RAISE: {A},
    Perm.FINDING_ANSWER: {O, M, S},
    Perm.ENGAGEMENT_MANAGE: {O, M},
    Perm.MEMBER_MANAGE: {O, M},
    Perm.APIKEY_MANAGE: {O},
    Perm.ACTIVITY_VIEW: {O, M},
    Perm.ORGANISATION_EDIT: {O},
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
    assert set(assignable_roles(O)) == set(MEMBER_ROLES)
    assert Role.OWNER not in assignable_roles(M)
    assert assignable_roles(S) == () and assignable_roles(V) == ()


def test_unknown_role_has_no_permission():
    assert not role_can("janitor", Perm.VIEW)
