from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def dashboard_panel(request) -> dict | None:
    """Evidence counts, and what awaits review for those who review."""
    from apps.accounts.roles import Perm

    from .selectors import evidence_summary

    access = getattr(request, "access", None)
    if access is None or not access.can(Perm.VIEW):
        return None
    return {"title": _("Evidence vault"), "template": "evidence/_dashboard_panel.html",
            "data": {**evidence_summary(access=access),
                     "can_review": access.can(Perm.EVIDENCE_REVIEW) and not access.is_restricted}}


LINKED_LIMIT = 100


def linked_evidence_section(kind: str):
    """The evidence linked to a register object, on its detail page (with an "attach evidence" link)."""
    def provider(request, obj) -> dict | None:
        from apps.accounts.roles import Perm

        from .selectors import evidence_for

        access = getattr(request, "access", None)
        if access is None or not access.can(Perm.VIEW):
            return None
        return {"template": "evidence/_register_section.html",
                "data": {"evidence": list(evidence_for(obj, access=access)[:LINKED_LIMIT]), "kind": kind,
                         "id": obj.pk}}
    return provider


class EvidenceConfig(AppConfig):
    name = "apps.evidence"
    label = "evidence"
    verbose_name = _("Evidence vault")

    def ready(self) -> None:
        from apps.activity import verbs
        from apps.core import dashboard
        from apps.core import navigation as nav

        nav.register(nav.NavItem("evidence", _("Evidence"), "evidence:list", "view", order=300))
        nav.register(nav.NavItem("evidence_review", _("Review queue"), "evidence:review_queue", "evidence.review",
                                 order=310))
        dashboard.register(dashboard_panel)
        from apps.traceability import panels

        for kind in panels.KINDS:
            panels.register_section(kind, linked_evidence_section(kind))
        verbs.register({
            "evidence.uploaded": _("Evidence uploaded"),
            "evidence.revised": _("New evidence revision uploaded"),
            "evidence.superseded": _("Evidence revision superseded"),
            "evidence.accepted": _("Evidence accepted"),
            "evidence.rejected": _("Evidence rejected"),
            "evidence.expired": _("Evidence expired"),
            "evidence.downloaded": _("Evidence downloaded"),
        })
