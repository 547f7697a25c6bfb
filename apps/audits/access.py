"""The access resolver of auditor engagements (listed in settings.ACCESS_RESOLVERS).

An auditor acts inside an organisation only while an engagement is in force (accepted, started,
not ended, not revoked: checked at every request) and only from a session verified by TOTP.
The role is always AUDITOR (view, download dossiers, raise findings: never write evidence), and
the scope narrows what the selectors of other capabilities show.
"""
from typing import Any

from apps.accounts.access import Access
from apps.accounts.roles import Role

from .selectors import engagement_in_force


def otp_verified(user: Any) -> bool:
    """True when django-otp's middleware verified this request's session with a device."""
    is_verified = getattr(user, "is_verified", None)
    return bool(callable(is_verified) and is_verified())


def engagement_access(*, user: Any, organisation: Any) -> Access | None:
    if not otp_verified(user):
        return None
    engagement = engagement_in_force(user=user, organisation=organisation)
    if engagement is None:
        return None
    whole = engagement.is_whole_organisation
    return Access(
        organisation_id=organisation.pk, role=Role.AUDITOR, user_id=user.pk, label=user.email,
        engagement_id=engagement.pk,
        shipment_scope=None if whole else frozenset(engagement.shipment_ids),
        dossier_scope=None if whole else frozenset(engagement.dossier_ids),
    )
