"""Checklist pages: overview of statuses, the board of one scope (with the evaluate button and live
status while an evaluation runs), its history, a past evaluation, protocol selection, notifications,
and the dashboard panel. Views parse, call one selector or service, and render."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.guards import require
from apps.accounts.roles import Perm
from apps.core.errors import ApplicationError
from apps.evidence.models import EvidenceType

from . import selectors, services
from .charts import STATUS_COLOURS, stacked_bars
from .forms import ProtocolSelectionForm
from .models import Evaluation, RequirementResult, ScopeKind, Status
from .protocol import Protocol, registry

UPLOAD_PATH = "/evidence/upload/"


def _zh() -> bool:
    return (get_language() or "").startswith("zh")


def _text(pair: dict[str, str] | Any) -> str:
    if isinstance(pair, dict):
        return pair.get("zh" if _zh() else "en") or pair.get("en", "")
    return str(pair)


def _evidence_url(evidence_id: Any) -> str | None:
    try:
        return reverse("evidence:detail", args=[evidence_id])
    except NoReverseMatch:
        return None


def upload_url(scope: selectors.ScopeRef, doc_type: str) -> str:
    """The vault's upload page, preset to the scope's object and the missing document type."""
    if scope.shipment_id:
        target = {"shipment": scope.shipment_id}
    elif scope.lot_id:
        target = {"lot": scope.lot_id}
    else:
        target = {"model": scope.model_id}
    return f"{UPLOAD_PATH}?{urlencode({**target, 'type': doc_type})}"


@dataclass
class ResultRow:
    result: RequirementResult
    title: str
    reasons: list[str]
    evidence: list[dict[str, Any]]
    uploads: list[dict[str, str]]


@dataclass
class ProtocolPanel:
    protocol_id: str
    title: str
    text: str
    version: int | None
    evaluation: Evaluation | None
    rows: list[ResultRow] = field(default_factory=list)
    outdated: bool = False


def _rows(evaluation: Evaluation, scope: selectors.ScopeRef, revisions: dict, can_upload: bool) -> list[ResultRow]:
    rows = []
    for result in evaluation.results.all():
        evidence = []
        for revision_id in result.revision_ids:
            revision = revisions.get(revision_id)
            if revision is not None:
                evidence.append({"revision": revision, "url": _evidence_url(revision.evidence_id)})
        uploads = [{"label": EvidenceType(t).label if t in EvidenceType.values else t, "url": upload_url(scope, t)}
                   for t in result.upload_types] if can_upload else []
        rows.append(ResultRow(result=result, title=result.title_zh if _zh() else result.title_en,
                              reasons=[_text(r) for r in result.reasons], evidence=evidence, uploads=uploads))
    return rows


def _board_context(request, scope: selectors.ScopeRef) -> dict[str, Any]:
    statuses = {s.protocol_id: s for s in selectors.scope_statuses(scope_kind=scope.kind, scope_id=scope.id)}
    selected = selectors.protocols_selected(scope.kind)
    revision_ids = {rid for s in statuses.values() for r in s.evaluation.results.all() for rid in r.revision_ids}
    revisions = selectors.revisions_by_id(revision_ids)
    can_upload = request.access.can(Perm.EVIDENCE_UPLOAD)
    panels = []
    reg = registry()
    for protocol in selected:
        status = statuses.get(protocol.id)
        panel = ProtocolPanel(protocol_id=protocol.id, title=protocol.title.get(get_language()),
                              text=protocol.text.get(get_language()), version=protocol.version,
                              evaluation=status.evaluation if status else None)
        if status:
            panel.rows = _rows(status.evaluation, scope, revisions, can_upload)
            panel.outdated = status.evaluation.protocol_version != protocol.version
        panels.append(panel)
    for protocol_id, status in statuses.items():
        if protocol_id not in {p.id for p in selected}:
            known: Protocol | None = reg.latest(protocol_id)
            panels.append(ProtocolPanel(protocol_id=protocol_id,
                                        title=known.title.get(get_language()) if known else protocol_id, text="",
                                        version=None, evaluation=status.evaluation,
                                        rows=_rows(status.evaluation, scope, revisions, can_upload)))
    met = sum(p.evaluation.met_count for p in panels if p.evaluation)
    applicable = sum(p.evaluation.applicable_count for p in panels if p.evaluation)
    return {
        "scope": scope, "scope_kind_label": ScopeKind(scope.kind).label, "panels": panels,
        "met": met, "applicable": applicable, "percent": round(100 * met / applicable) if applicable else None,
        "pending": bool(cache.get(services.pending_key(scope.kind, scope.id))),
        "can_run": request.access.can(Perm.CHECKLIST_RUN),
    }


def _scope_or_404(request, kind: str, scope_id: str) -> selectors.ScopeRef:
    if kind not in ScopeKind.values:
        raise Http404
    scope = selectors.scope_get(access=request.access, scope_kind=kind, scope_id=scope_id)
    if scope is None:
        raise Http404
    return scope


@require(Perm.VIEW)
def board(request, kind: str, scope_id: str):
    scope = _scope_or_404(request, kind, scope_id)
    context = _board_context(request, scope)
    if request.htmx and request.GET.get("fragment"):
        return render(request, "checklists/_board_body.html", context)
    return render(request, "checklists/board.html", context)


@require(Perm.CHECKLIST_RUN)
@require_POST
def board_evaluate(request, kind: str, scope_id: str):
    scope = _scope_or_404(request, kind, scope_id)
    try:
        services.evaluation_request(access=request.access, scope_kind=scope.kind, scope_id=scope.id)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Evaluation queued: the board updates when it is done."))
    return redirect("checklists:board", kind=scope.kind, scope_id=scope.id)


@require(Perm.VIEW)
def history(request, kind: str, scope_id: str):
    scope = _scope_or_404(request, kind, scope_id)
    evaluations = selectors.evaluation_list(access=request.access, scope_kind=scope.kind, scope_id=scope.id)
    page = Paginator(evaluations, 50).get_page(request.GET.get("page"))
    titles = {p.id: p.title.get(get_language()) for p in registry().latest_all()}
    return render(request, "checklists/history.html", {"scope": scope, "page_obj": page, "titles": titles})


@require(Perm.VIEW)
def evaluation_detail(request, evaluation_id):
    evaluation = selectors.evaluation_get(access=request.access, evaluation_id=evaluation_id)
    if evaluation is None:
        raise Http404
    scope = selectors.ScopeRef(evaluation.scope_kind, evaluation.scope_id, evaluation.scope_label)
    revisions = selectors.revisions_by_id({rid for r in evaluation.results.all() for rid in r.revision_ids})
    protocol = registry().get(evaluation.protocol_id, evaluation.protocol_version)
    return render(request, "checklists/evaluation_detail.html", {
        "evaluation": evaluation, "scope": scope, "rows": _rows(evaluation, scope, revisions, False),
        "protocol_title": protocol.title.get(get_language()) if protocol else evaluation.protocol_id})


@require(Perm.VIEW)
def overview(request):
    kind = request.GET.get("kind", "") if request.GET.get("kind", "") in ScopeKind.values else ""
    status = request.GET.get("status", "") if request.GET.get("status", "") in Status.values else ""
    protocol_id = request.GET.get("protocol", "")
    statuses = selectors.status_list(access=request.access, scope_kind=kind, status=status, protocol_id=protocol_id)
    page = Paginator(statuses, 50).get_page(request.GET.get("page"))
    titles = {p.id: p.title.get(get_language()) for p in registry().latest_all()}
    query = urlencode({k: v for k, v in (("kind", kind), ("status", status), ("protocol", protocol_id)) if v})
    selected = selectors.protocols_selected()
    return render(request, "checklists/overview.html", {
        "page_obj": page, "rows": [{"status": s, "title": titles.get(s.protocol_id, s.protocol_id)} for s in page],
        "kind": kind, "status": status, "protocol": protocol_id, "kinds": ScopeKind.choices,
        "status_choices": Status.choices, "selected": selected,
        "selected_titles": [p.title.get(get_language()) for p in selected],
        "querystring_without_page": f"{query}&" if query else "",
        "can_configure": request.access.can(Perm.CHECKLIST_CONFIGURE),
        "unread": selectors.notification_unread_count(user_id=request.access.user_id)
        if request.access.user_id else 0,
    })


@require(Perm.CHECKLIST_CONFIGURE)
def protocol_settings(request):
    protocols = registry().latest_all()
    current = selectors.selected_protocol_ids()
    form = ProtocolSelectionForm(request.POST or None, protocols=protocols, language=get_language(),
                                 initial={"protocols": current})
    if request.method == "POST" and form.is_valid():
        try:
            services.selection_set(access=request.access, protocol_ids=form.cleaned_data["protocols"])
        except ApplicationError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Protocol selection saved. Evaluations are on their way."))
            return redirect("checklists:settings")
    return render(request, "checklists/protocol_settings.html",
                  {"form": form, "protocols": protocols, "current": set(current)},
                  status=400 if form.errors else 200)


@require(Perm.VIEW)
def notifications(request):
    # Notifications go to the organisation's people; API keys and external auditors have none.
    if request.access.user_id is None or request.access.engagement_id is not None:
        raise Http404
    if request.method == "POST":
        services.notifications_mark_read(access=request.access)
        messages.success(request, _("All notifications marked as read."))
        return redirect("checklists:notifications")
    page = Paginator(selectors.notification_list(user_id=request.access.user_id), 50).get_page(request.GET.get("page"))
    titles = {p.id: p.title.get(get_language()) for p in registry().latest_all()}
    return render(request, "checklists/notifications.html", {"page_obj": page, "titles": titles})


# --- dashboard panel ------------------------------------------------------------------------------

def dashboard_panel(request) -> dict | None:
    access = getattr(request, "access", None)
    if access is None or not access.can(Perm.VIEW):
        return None
    rows = selectors.completeness(access=access)
    if not rows and not selectors.selected_protocol_ids():
        return {"title": gettext_lazy("Checklist completeness"), "template": "checklists/_dashboard_panel.html",
                "data": {"empty": True, "can_configure": access.can(Perm.CHECKLIST_CONFIGURE)}}
    language = get_language()
    chart = stacked_bars([(row.title.get(language) if hasattr(row.title, "get") else str(row.title),
                           str(ScopeKind(row.scope_kind).label), row.counts, row.percent) for row in rows])
    return {"title": gettext_lazy("Checklist completeness"), "template": "checklists/_dashboard_panel.html",
            "data": {"chart": chart, "legend": [(s, Status(s).label, STATUS_COLOURS[s]) for s in STATUS_COLOURS],
                     "rows": [{"row": row, "cells": [row.counts.get(s, 0) for s in STATUS_COLOURS]} for row in rows],
                     "unread": selectors.notification_unread_count(user_id=access.user_id) if access.user_id else 0}}
