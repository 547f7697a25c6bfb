"""Pages of the evidence vault: list, detail, upload (drag and drop, progress bar; works without
JavaScript), new revision, review queue, accept / reject, download."""
from __future__ import annotations

import logging
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from apps.accounts.guards import check_access, require
from apps.accounts.roles import Perm
from apps.core.errors import ApplicationError

from . import selectors, services, storage
from .doctypes import doctype
from .forms import (
    EvidenceFilterForm,
    EvidenceUploadForm,
    RejectForm,
    RevisionForm,
    apply_service_error,
    key_fields_initial,
)
from .models import EvidenceRevision, EvidenceType, RevisionStatus
from .presentation import flag_texts, key_field_rows

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
# Without JavaScript, changing the type re-opens the upload page with these inputs kept.
KEPT_ON_TYPE_CHANGE = ("title", "reference", "issuer", "shipments", "lots", "units", "battery_models")


def upload_view(perm: Perm):
    """Access is checked before the body is read; then the vault's streaming, hashing upload handler
    is installed and CSRF is checked (which parses the body through that handler)."""

    def decorator(view):
        protected = csrf_protect(view)

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            refusal = check_access(request, perm)
            if refusal is not None:
                return refusal
            request.evidence_upload = (storage.install_upload_handling(request)
                                       if request.method == "POST" else None)
            return protected(request, *args, **kwargs)

        return csrf_exempt(wrapped)

    return decorator


def _upload_refusal(request) -> ApplicationError | None:
    handler = getattr(request, "evidence_upload", None)
    if handler is not None and handler.refusal == "too_large":
        return services.too_large_error()
    return None


def _upload_context(form, **extra) -> dict:
    limit = storage.max_upload_bytes()
    return {"form": form, "max_upload_bytes": limit, "max_upload_label": services.size_label(limit), **extra}


def _querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


@require(Perm.VIEW)
def evidence_list(request):
    form = EvidenceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    link_filters = {kind: request.GET.get(kind) for kind in selectors.LINK_KINDS if request.GET.get(kind)}
    linked_object = None
    for kind, object_id in link_filters.items():
        linked_object = selectors.link_object(kind, object_id)
        if linked_object is None:
            raise Http404
    qs = selectors.evidence_list(access=request.access, doc_type=filters.get("doc_type", ""),
                                 status=filters.get("status", ""), q=filters.get("q", ""),
                                 linked=filters.get("linked", ""),
                                 **{kind: linked_object.pk for kind in link_filters})
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "evidence/evidence_list.html", {
        "form": form, "page_obj": page, "documents": list(page.object_list), "linked_object": linked_object,
        "querystring_without_page": _querystring_without_page(request),
        "can_upload": request.access.can(Perm.EVIDENCE_UPLOAD) and not request.access.is_restricted,
    })


@require(Perm.VIEW)
def evidence_detail(request, evidence_id):
    evidence = selectors.evidence_get(access=request.access, evidence_id=evidence_id)
    if evidence is None:
        raise Http404
    dt = doctype(evidence.doc_type)
    access = request.access
    can_review = access.can(Perm.EVIDENCE_REVIEW) and not access.is_restricted and access.api_key_id is None
    revisions = []
    for revision in evidence.revisions.all():
        revisions.append({
            "revision": revision,
            "key_fields": key_field_rows(dt, revision.key_fields),
            "flags": flag_texts(revision.flags),
            "reviews": list(revision.reviews.all()),
            "own": revision.uploaded_by_id is not None and revision.uploaded_by_id == access.user_id,
            "reviewable": can_review and revision.status == RevisionStatus.SUBMITTED,
        })
    return render(request, "evidence/evidence_detail.html", {
        "evidence": evidence, "doctype": dt, "revisions": revisions, "reject_form": RejectForm(),
        "can_upload": access.can(Perm.EVIDENCE_UPLOAD) and not access.is_restricted,
        "links": {"shipments": list(evidence.shipments.all()), "lots": list(evidence.lots.all()),
                  "units": list(evidence.units.all()), "battery_models": list(evidence.battery_models.all())},
    })


def _preselected_links(request) -> dict[str, str]:
    """`?shipment=<uuid>` (or lot / unit / model) from a register page: the code in the form."""
    initial = {}
    for field_name, kind in (("shipments", "shipment"), ("lots", "lot"), ("units", "unit"),
                             ("battery_models", "model")):
        object_id = request.GET.get(kind)
        if object_id:
            obj = selectors.link_object(kind, object_id)
            if obj is not None:
                initial[field_name] = getattr(obj, "reference", None) or obj.code
    return initial


@upload_view(Perm.EVIDENCE_UPLOAD)
def evidence_upload(request):
    if request.access.is_restricted:
        raise Http404
    if request.method != "POST":
        doc_type = request.GET.get("doc_type") or request.GET.get("type") or ""
        initial = {**_preselected_links(request),
                   **{k: v for k, v in request.GET.items() if k in KEPT_ON_TYPE_CHANGE}}
        form = EvidenceUploadForm(initial=initial, doc_type=doc_type)
        return render(request, "evidence/evidence_upload.html", _upload_context(form))
    form = EvidenceUploadForm(request.POST, request.FILES, doc_type=request.POST.get("doc_type", ""))
    refusal = _upload_refusal(request)
    if refusal is not None:
        form.is_valid()
        apply_service_error(form, refusal)
    elif form.is_valid():
        data = form.cleaned_data
        links = services.Links(**{name: form.resolved_links.get(name, []) for name in
                                  ("shipments", "lots", "units", "battery_models")})
        try:
            revision = services.evidence_upload(
                access=request.access, doc_type=data["doc_type"], title=data["title"], upload=data.get("file"),
                key_fields=form.key_fields(), effective_date=data.get("effective_date"),
                expiry_date=data.get("expiry_date"), reference=data.get("reference", ""),
                issuer=data.get("issuer", ""), links=links)
        except ApplicationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Uploaded. The document awaits review."))
            return redirect("evidence:detail", evidence_id=revision.evidence_id)
    return render(request, "evidence/evidence_upload.html", _upload_context(form), status=400)


@upload_view(Perm.EVIDENCE_UPLOAD)
def evidence_revise(request, evidence_id):
    if request.access.is_restricted:
        raise Http404
    evidence = selectors.evidence_get(access=request.access, evidence_id=evidence_id)
    if evidence is None:
        raise Http404
    dt = doctype(evidence.doc_type)
    current = evidence.current_revision
    if request.method != "POST":
        initial = key_fields_initial(dt, current.key_fields) if current else {}
        if current:
            initial.update(effective_date=current.effective_date, expiry_date=current.expiry_date)
        form = RevisionForm(initial=initial, dt=dt)
        return render(request, "evidence/evidence_revise.html", _upload_context(form, evidence=evidence))
    form = RevisionForm(request.POST, request.FILES, dt=dt)
    refusal = _upload_refusal(request)
    if refusal is not None:
        form.is_valid()
        apply_service_error(form, refusal)
    elif form.is_valid():
        data = form.cleaned_data
        try:
            services.evidence_revise(access=request.access, evidence=evidence, upload=data.get("file"),
                                     key_fields=form.key_fields(), effective_date=data.get("effective_date"),
                                     expiry_date=data.get("expiry_date"))
        except ApplicationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("New revision uploaded. It awaits review."))
            return redirect("evidence:detail", evidence_id=evidence.pk)
    return render(request, "evidence/evidence_revise.html", _upload_context(form, evidence=evidence), status=400)


@require(Perm.VIEW)
def key_fields_partial(request):
    """The key fields of a document type (htmx swaps them into the upload form)."""
    doc_type = request.GET.get("doc_type", "")
    if doc_type not in EvidenceType.values:
        raise Http404
    form = EvidenceUploadForm(doc_type=doc_type)
    return render(request, "evidence/_key_fields.html", {"form": form})


@require(Perm.EVIDENCE_REVIEW)
def review_queue(request):
    if request.access.is_restricted:
        raise Http404
    page = Paginator(selectors.review_queue(access=request.access), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"revision": r, "own": r.uploaded_by_id == request.access.user_id} for r in page.object_list]
    return render(request, "evidence/review_queue.html", {
        "page_obj": page, "rows": rows, "reject_form": RejectForm(),
        "querystring_without_page": _querystring_without_page(request)})


def _back(request, revision: EvidenceRevision) -> HttpResponseRedirect:
    if request.POST.get("next") == "queue":
        return redirect("evidence:review_queue")
    return redirect("evidence:detail", evidence_id=revision.evidence_id)


@require(Perm.EVIDENCE_REVIEW)
@require_POST
def revision_accept(request, revision_id):
    revision = selectors.revision_get(access=request.access, revision_id=revision_id)
    if revision is None:
        raise Http404
    try:
        services.revision_accept(access=request.access, revision=revision)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Revision %(n)s of “%(title)s” accepted.") % {
            "n": revision.number, "title": revision.evidence.title})
    return _back(request, revision)


@require(Perm.EVIDENCE_REVIEW)
@require_POST
def revision_reject(request, revision_id):
    revision = selectors.revision_get(access=request.access, revision_id=revision_id)
    if revision is None:
        raise Http404
    form = RejectForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.revision_reject(access=request.access, revision=revision, reason=reason)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Revision %(n)s of “%(title)s” rejected.") % {
            "n": revision.number, "title": revision.evidence.title})
    return _back(request, revision)


MSG_FILE_MISSING = _lazy("The file of this revision is missing from storage. The incident has been logged; "
                         "ask an administrator to restore it from the backup.")


class StoredFileMissing(ApplicationError):
    status = 410


def download_response(revision: EvidenceRevision) -> FileResponse:
    """The stored file, streamed, as an attachment with the recorded type and a safe file name.

    Raises StoredFileMissing (410) when storage lost the file: a clear message, never a 500."""
    try:
        stored = storage.open_stored(revision.storage_name)
    except OSError as error:
        logger.error("evidence file missing from storage: revision %s (%s): %s", revision.pk,
                     revision.storage_name, error)
        raise StoredFileMissing(MSG_FILE_MISSING, code="file_missing") from error
    response = FileResponse(stored, as_attachment=True,
                            filename=revision.original_filename, content_type=revision.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Content-Length"] = str(revision.size)
    return response


@require(Perm.VIEW)
@require_safe
def revision_download(request, revision_id):
    revision = selectors.revision_get(access=request.access, revision_id=revision_id)
    if revision is None:
        raise Http404
    try:
        response = download_response(revision)
    except StoredFileMissing as error:
        return render(request, "410.html", {"message": error.message}, status=410)
    services.revision_download_record(access=request.access, revision=revision)
    return response


def attach_url(kind: str, object_id) -> str:
    return f"{reverse('evidence:upload')}?{urlencode({kind: str(object_id)})}"
