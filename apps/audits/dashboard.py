"""The organisation dashboard panel: auditor engagements and findings."""
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.roles import Perm

from .findings.selectors import finding_counts
from .models import Engagement


def audit_panel(request) -> dict | None:
    access = getattr(request, "access", None)
    if access is None:
        return None
    if access.engagement_id is not None:
        engagement = Engagement.objects.filter(pk=access.engagement_id).first()
        return {"title": _("Your audit engagement"), "template": "audits/_dashboard_panel.html",
                "data": {"engagement": engagement, "findings": finding_counts(access=access), "auditor": True}}
    if not access.can(Perm.ENGAGEMENT_MANAGE):
        return None
    now = timezone.now()
    active = Engagement.objects.filter(organisation_id=access.organisation_id, accepted_at__isnull=False,
                                       revoked_at__isnull=True, starts_at__lte=now, ends_at__gt=now).count()
    return {"title": _("Auditors and findings"), "template": "audits/_dashboard_panel.html",
            "data": {"active": active, "findings": finding_counts(access=access), "auditor": False}}
