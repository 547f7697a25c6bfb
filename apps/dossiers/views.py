"""Dossier pages of an organisation host: list + request form, detail with live progress, download."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from apps.accounts.guards import require
from apps.accounts.roles import Perm
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error

from . import selectors, services
from .forms import DossierRequestForm
from .models import DossierLanguage


def _form(request, data=None) -> DossierRequestForm:
    access = request.access
    language = DossierLanguage.ZH_HANS if (request.LANGUAGE_CODE or "").startswith("zh") else DossierLanguage.EN
    initial = {"language": language, "shipment": request.GET.get("shipment", "")}
    if request.GET.get("shipment"):
        initial["scope_kind"] = "shipment"
    return DossierRequestForm(data, initial=initial, shipments=list(selectors.shipment_choices(access=access)),
                              models=list(selectors.model_choices()) if not access.is_restricted else [])


@require(Perm.VIEW)
def dossier_list(request):
    access = request.access
    can_generate = access.can(Perm.DOSSIER_GENERATE)
    form = _form(request, request.POST or None) if can_generate else None
    if request.method == "POST":
        if not can_generate:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                dossier = services.dossier_request(
                    access=access, organisation=request.organisation, scope_kind=data["scope_kind"],
                    language=data["language"], shipment_id=data["shipment"] or None, model_id=data["model"] or None,
                    year=data["year"], plant=data["plant"], period_start=data["period_start"],
                    period_end=data["period_end"])
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("The dossier is being generated."))
                return redirect("dossiers:detail", dossier_id=dossier.pk)
    dossiers = list(selectors.dossier_list(access=access)[:200])
    return render(request, "dossiers/dossier_list.html",
                  {"dossiers": dossiers, "form": form, "can_generate": can_generate},
                  status=400 if form is not None and form.errors else 200)


def _get(request, dossier_id):
    dossier = selectors.dossier_get(access=request.access, dossier_id=dossier_id)
    if dossier is None:
        raise Http404
    return dossier


@require(Perm.VIEW)
@require_GET
def dossier_detail(request, dossier_id):
    dossier = _get(request, dossier_id)
    return render(request, "dossiers/dossier_detail.html", {
        "dossier": dossier, "can_download": request.access.can(Perm.DOSSIER_DOWNLOAD)})


@require(Perm.VIEW)
@require_GET
def dossier_progress(request, dossier_id):
    """The progress fragment htmx polls while the dossier renders (it stops polling when done)."""
    dossier = _get(request, dossier_id)
    return render(request, "dossiers/_dossier_progress.html", {
        "dossier": dossier, "can_download": request.access.can(Perm.DOSSIER_DOWNLOAD)})


@require(Perm.DOSSIER_DOWNLOAD)
@require_GET
def dossier_download(request, dossier_id):
    dossier = _get(request, dossier_id)
    if not dossier.is_done:
        raise Http404  # only an issued, complete file is ever served
    services.dossier_download_record(access=request.access, dossier=dossier)
    name = f"cellpass-dossier-{dossier.scope_label[:40]}-{dossier.sha256[:8]}.pdf".replace(" ", "_").replace("/", "-")
    response = FileResponse(services.dossier_open(dossier), as_attachment=True, filename=name,
                            content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    return response
