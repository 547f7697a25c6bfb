"""The one place that says what each role may do. Tested as a matrix in tests/accounts/test_roles.py."""
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    COMPLIANCE_MANAGER = "compliance_manager", _("Compliance manager")
    STAFF = "staff", _("Staff")
    VIEWER = "viewer", _("Viewer")
    # External roles: granted through an auditor engagement or a custody transfer, never a membership.
    AUDITOR = "auditor", _("Auditor")
    COUNTERPARTY = "counterparty", _("Counterparty")


MEMBER_ROLES = (Role.OWNER, Role.COMPLIANCE_MANAGER, Role.STAFF, Role.VIEWER)
# An API key acts for a system, never as an owner.
API_KEY_ROLES = (Role.COMPLIANCE_MANAGER, Role.STAFF, Role.VIEWER)


class Perm(StrEnum):
    VIEW = "view"  # read the register, evidence, checklists and dossiers
    REGISTER_EDIT = "register.edit"  # create and change models, units, shipments, lots
    REGISTER_IMPORT = "register.import"
    EVIDENCE_UPLOAD = "evidence.upload"
    EVIDENCE_REVIEW = "evidence.review"  # accept or reject (never one's own upload)
    CHECKLIST_RUN = "checklist.run"
    CHECKLIST_CONFIGURE = "checklist.configure"  # choose which protocols apply
    CUSTODY_DISPATCH = "custody.dispatch"
    CUSTODY_RECEIVE = "custody.receive"  # confirm / dispute receipt, record processing
    DOSSIER_GENERATE = "dossier.generate"
    DOSSIER_DOWNLOAD = "dossier.download"
    FINDING_RAISE = "finding.raise"
    FINDING_ANSWER = "finding.answer"
    ENGAGEMENT_MANAGE = "engagement.manage"  # grant and revoke auditor access
    MEMBER_VIEW = "member.view"  # see who works in the organisation (not external auditors)
    MEMBER_MANAGE = "member.manage"
    APIKEY_MANAGE = "apikey.manage"
    ACTIVITY_VIEW = "activity.view"
    ORGANISATION_EDIT = "organisation.edit"


_VIEWER = {Perm.VIEW, Perm.DOSSIER_DOWNLOAD, Perm.MEMBER_VIEW}
_STAFF = _VIEWER | {
    Perm.REGISTER_EDIT, Perm.REGISTER_IMPORT, Perm.EVIDENCE_UPLOAD, Perm.CHECKLIST_RUN,
    Perm.CUSTODY_DISPATCH, Perm.CUSTODY_RECEIVE, Perm.DOSSIER_GENERATE, Perm.FINDING_ANSWER,
}
_MANAGER = _STAFF | {
    Perm.EVIDENCE_REVIEW, Perm.CHECKLIST_CONFIGURE, Perm.ENGAGEMENT_MANAGE, Perm.MEMBER_MANAGE,
    Perm.ACTIVITY_VIEW,
}
_OWNER = _MANAGER | {Perm.APIKEY_MANAGE, Perm.ORGANISATION_EDIT}

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.OWNER: frozenset(_OWNER),
    Role.COMPLIANCE_MANAGER: frozenset(_MANAGER),
    Role.STAFF: frozenset(_STAFF),
    Role.VIEWER: frozenset(_VIEWER),
    Role.AUDITOR: frozenset({Perm.VIEW, Perm.DOSSIER_DOWNLOAD, Perm.FINDING_RAISE}),
    Role.COUNTERPARTY: frozenset(),
}

# Which roles a member of a given role may grant (invite as, or change to).
ASSIGNABLE_ROLES: dict[str, tuple[str, ...]] = {
    Role.OWNER: MEMBER_ROLES,
    Role.COMPLIANCE_MANAGER: (Role.COMPLIANCE_MANAGER, Role.STAFF, Role.VIEWER),
}


def role_can(role: str, perm: Perm) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())


def assignable_roles(role: str) -> tuple[str, ...]:
    return ASSIGNABLE_ROLES.get(role, ())
