"""Human labels of activity verbs. Apps register theirs at import time (in their apps.ready)."""
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

VERB_LABELS: dict[str, str | Promise] = {
    "organisation.created": _("Organisation created"),
    "member.added": _("Member added"),
    "member.role_changed": _("Member role changed"),
    "member.removed": _("Member removed"),
    "invitation.sent": _("Invitation sent"),
    "invitation.accepted": _("Invitation accepted"),
    "invitation.revoked": _("Invitation revoked"),
    "apikey.created": _("API key created"),
    "apikey.revoked": _("API key revoked"),
}


def register(labels: dict[str, str | Promise]) -> None:
    VERB_LABELS.update(labels)


def label_for(verb: str) -> str:
    return str(VERB_LABELS.get(verb, verb))
