"""Findings pages on the organisation host: the list, raising one (auditors), the thread with
answers (members) and replies (the auditor)."""
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.accounts.guards import require
from apps.accounts.roles import Perm
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error

from . import selectors, services
from .forms import FindingRaiseForm, MessageForm, ResolveForm
from .models import FindingStatus, TargetKind


@require(Perm.VIEW)
@require_safe
def finding_list(request):
    status = request.GET.get("status", "")
    findings = list(selectors.finding_list(access=request.access, status=status)[:500])
    return render(request, "audits/finding_list.html", {
        "findings": findings, "status": status, "statuses": FindingStatus.choices,
        "can_raise": request.access.can(Perm.FINDING_RAISE) and request.access.engagement_id is not None})


@require(Perm.FINDING_RAISE)
@require_http_methods(["GET", "POST"])
def finding_new(request):
    access = request.access
    if access.engagement_id is None:
        raise Http404
    initial = {field: request.GET[field] for field in ("shipment", "evidence_revision", "requirement")
               if request.GET.get(field)}
    form = FindingRaiseForm(request.POST if request.method == "POST" else None, initial=initial,
                            shipments=selectors.shipments_in_scope(access=access))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            finding = services.finding_raise(access=access, target_kind=data["target_kind"],
                                             target_id=data["target_id"], severity=data["severity"],
                                             title=data["title"], text=data["text"])
        except ApplicationError as error:
            field = {TargetKind.SHIPMENT: "shipment", TargetKind.EVIDENCE_REVISION: "evidence_revision",
                     TargetKind.REQUIREMENT: "requirement"}.get(data["target_kind"])
            if error.field == "target_id":
                form.add_error(field, str(error.message))
            else:
                apply_error(form, error)
        else:
            messages.success(request, _("Finding %(reference)s raised; the organisation has been notified.")
                             % {"reference": finding.reference})
            return redirect("audits:finding_detail", finding_id=finding.pk)
    return render(request, "audits/finding_form.html", {"form": form}, status=400 if form.errors else 200)


def _finding_or_404(request, finding_id):
    finding = selectors.finding_get(access=request.access, finding_id=finding_id)
    if finding is None:
        raise Http404
    return finding


def _detail(request, finding, *, message_form=None, resolve_form=None, status=200):
    access = request.access
    own = access.engagement_id is not None and access.engagement_id == finding.engagement_id
    resolved = finding.status == FindingStatus.RESOLVED
    return render(request, "audits/finding_detail.html", {
        "finding": finding, "thread": list(finding.messages.all()),
        "can_answer": access.can(Perm.FINDING_ANSWER) and not resolved,
        "can_reply": own and access.can(Perm.FINDING_RAISE) and not resolved,
        "can_reopen": own and access.can(Perm.FINDING_RAISE) and resolved,
        "message_form": message_form or MessageForm(), "resolve_form": resolve_form or ResolveForm(),
    }, status=status)


@require(Perm.VIEW)
@require_safe
def finding_detail(request, finding_id):
    return _detail(request, _finding_or_404(request, finding_id))


def _act(request, finding_id, action, form_class, success: str):
    finding = _finding_or_404(request, finding_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(access=request.access, finding=finding, text=form.cleaned_data["text"])
        except services.NotFoundError as exc:
            raise Http404 from exc
        except ApplicationError as error:
            if error.field is None:
                messages.error(request, str(error.message))
            apply_error(form, error)
        else:
            messages.success(request, success)
            return redirect("audits:finding_detail", finding_id=finding.pk)
    kwargs = {"resolve_form": form} if form_class is ResolveForm else {"message_form": form}
    return _detail(request, finding, status=400, **kwargs)


@require(Perm.FINDING_ANSWER)
@require_POST
def finding_answer(request, finding_id):
    return _act(request, finding_id, services.finding_answer, MessageForm, _("Answer sent to the auditor."))


@require(Perm.FINDING_ANSWER)
@require_POST
def finding_resolve(request, finding_id):
    return _act(request, finding_id, services.finding_resolve, ResolveForm, _("Finding resolved."))


@require(Perm.FINDING_RAISE)
@require_POST
def finding_reply(request, finding_id):
    return _act(request, finding_id, services.finding_reply, MessageForm, _("Reply sent to the organisation."))


@require(Perm.FINDING_RAISE)
@require_POST
def finding_reopen(request, finding_id):
    return _act(request, finding_id, services.finding_reopen, MessageForm, _("Finding reopened."))
