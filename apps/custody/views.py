"""Pages of the custody ledger on an organisation host: outgoing and incoming transfers, a transfer with its
timeline, and one page per step. Views parse, call one service or selector, and render; a service's refusal
is shown on the form, with the status it carries (400, 403, 409), and "missing or not yours" is a 404."""
import json
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.guards import require
from apps.accounts.roles import Perm
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.evidence import services as vault
from apps.evidence.views import upload_view
from apps.tenants.models import OrganisationKind
from apps.traceability.models import LotKind

from . import selectors, services
from .forms import (
    CertificateForm,
    CommentForm,
    DispatchForm,
    DisputeForm,
    InviteRecyclerForm,
    LotFormSet,
    PaperReceiptForm,
    ProcessingForm,
    ReceiptForm,
    ResolveForm,
)
from .models import TransferStatus


def _percent(text: str) -> str:
    """"6.1000" -> "6.1" (the ledger keeps four decimals; people read fewer)."""
    return f"{Decimal(text).normalize():f}"


def _scope(request):
    return request.access.shipment_scope


def _transfer_or_404(request, transfer_id):
    transfer = selectors.transfer_get(organisation=request.organisation, transfer_id=transfer_id,
                                      shipment_scope=_scope(request))
    if transfer is None:
        raise Http404
    return transfer


def _refused(request, form, error: ApplicationError, template: str, context: dict):
    """Render the form again with the service's refusal (404 stays a plain not-found)."""
    if error.status == 404:
        raise Http404
    apply_error(form, error)
    return render(request, template, {**context, "form": form}, status=error.status)


@require(Perm.VIEW)
def index(request):
    if request.organisation.kind == OrganisationKind.RECYCLER:
        return redirect("custody:incoming")
    return redirect("custody:outgoing")


@require(Perm.VIEW)
def outgoing(request):
    can_dispatch = request.access.can(Perm.CUSTODY_DISPATCH)
    return render(request, "custody/transfer_list.html", {
        "direction": "outgoing",
        "transfers": list(selectors.transfer_list(organisation=request.organisation, direction="outgoing",
                                                  shipment_scope=_scope(request))),
        "dispatchable": selectors.dispatchable_shipments(organisation=request.organisation,
                                                         shipment_scope=_scope(request)) if can_dispatch else [],
        "can_dispatch": can_dispatch,
    })


@require(Perm.VIEW)
def incoming(request):
    return render(request, "custody/transfer_list.html", {
        "direction": "incoming",
        "transfers": list(selectors.transfer_list(organisation=request.organisation, direction="incoming",
                                                  shipment_scope=_scope(request))),
    })


@require(Perm.VIEW)
def transfer_detail(request, transfer_id):
    transfer = _transfer_or_404(request, transfer_id)
    organisation, access = request.organisation, request.access
    is_sender = transfer.sender_id == organisation.pk
    can_act = access.can(Perm.CUSTODY_DISPATCH if is_sender else Perm.CUSTODY_RECEIVE)
    context = {
        "transfer": transfer,
        "is_sender": is_sender,
        "can_act": can_act,
        "can_receive": not is_sender and can_act and transfer.status in (TransferStatus.DISPATCHED,
                                                                         TransferStatus.DISPUTED),
        "can_dispute": not is_sender and can_act and transfer.status == TransferStatus.DISPATCHED,
        "can_process": not is_sender and can_act and transfer.status == TransferStatus.RECEIVED,
        "can_certify": not is_sender and can_act and transfer.status == TransferStatus.PROCESSED,
        "can_paper_receipt": is_sender and can_act and transfer.status == TransferStatus.DISPATCHED
        and not hasattr(transfer, "paper_receipt"),
        "discrepancies": list(transfer.discrepancies.all()),
        "entries": [{"entry": e, "payload": json.dumps(e.payload, ensure_ascii=False, indent=1, sort_keys=True)}
                    for e in transfer.ledger.all()],
        "lots": [{**lot, "kind_label": LotKind(lot["kind"]).label,
                  "assay": [(element, _percent(pct)) for element, pct in lot["elements"].items()]}
                 for lot in (transfer.processing.lots if hasattr(transfer, "processing") else [])],
        "comment_form": CommentForm(),
        "resolve_form": ResolveForm(),
    }
    if request.GET.get("verify"):
        context["verification"] = selectors.ledger_verify(organisation=organisation, transfer_id=transfer.pk)
    return render(request, "custody/transfer_detail.html", context)


@require(Perm.CUSTODY_DISPATCH)
def dispatch(request):
    organisation, scope = request.organisation, _scope(request)
    data = request.POST if request.method == "POST" else None
    shipment_id = (data or request.GET).get("shipment") or ""
    shipments = selectors.dispatchable_shipments(organisation=organisation, shipment_scope=scope)
    manifests = []
    if shipment_id and any(str(s.pk) == shipment_id for s in shipments):
        manifests = selectors.manifest_revisions(organisation=organisation, shipment_id=shipment_id)
    recyclers = list(selectors.recycler_choices(organisation=organisation))
    form = DispatchForm(data, initial={"shipment": shipment_id, "receiver": request.GET.get("receiver", "")},
                        shipments=shipments, recyclers=recyclers, manifests=manifests)
    context = {"form": form, "shipments": shipments}
    if request.method == "POST" and form.is_valid():
        try:
            transfer = services.shipment_dispatch(access=request.access, shipment_id=form.cleaned_data["shipment"],
                                                  receiver_id=form.cleaned_data["receiver"],
                                                  manifest_revision_id=form.cleaned_data["manifest"] or None)
        except ApplicationError as error:
            return _refused(request, form, error, "custody/dispatch.html", context)
        messages.success(request, _("Shipment %(ref)s dispatched.") % {"ref": transfer.shipment_reference})
        return redirect("custody:transfer", transfer_id=transfer.pk)
    return render(request, "custody/dispatch.html", context, status=400 if form.errors else 200)


def _own_step(request, transfer_id, *, is_receiver_step: bool):
    """The transfer, if this organisation is a party (else 404, whatever the role), and may take the step:
    it is the right side (receiver or sender) and its role carries the custody permission (else 403)."""
    transfer = _transfer_or_404(request, transfer_id)
    ours = transfer.receiver_id if is_receiver_step else transfer.sender_id
    perm = Perm.CUSTODY_RECEIVE if is_receiver_step else Perm.CUSTODY_DISPATCH
    if ours != request.organisation.pk or not request.access.can(perm):
        raise PermissionDenied
    return transfer


def _upload_refused(request, form, file_field: str) -> bool:
    """A file the vault's upload handler stopped reading (larger than the vault's limit): say so on the
    file's field, not "this field is required"."""
    handler = getattr(request, "evidence_upload", None)
    if handler is None or handler.refusal != "too_large":
        return False
    form.errors.pop(file_field, None)  # (validates the form first) "required": the file was not read
    form.add_error(file_field if file_field in form.fields else None, str(vault.too_large_error().message))
    return True


def _step(request, transfer_id, *, form_class, template, call, success, is_receiver_step=True, file_field=None):
    """GET shows the step's form; POST runs the service and goes back to the transfer."""
    transfer = _own_step(request, transfer_id, is_receiver_step=is_receiver_step)
    form = form_class(request.POST or None, request.FILES or None) if file_field else form_class(request.POST or None)
    context = {"transfer": transfer, "form": form}
    if request.method == "POST" and file_field and _upload_refused(request, form, file_field):
        return render(request, template, context, status=400)
    if request.method == "POST" and form.is_valid():
        try:
            call(transfer, form.cleaned_data)
        except ApplicationError as error:
            return _refused(request, form, error, template, context)
        messages.success(request, success)
        return redirect("custody:transfer", transfer_id=transfer.pk)
    return render(request, template, context, status=400 if form.errors else 200)


@upload_view(Perm.VIEW)
def transfer_confirm(request, transfer_id):
    def call(transfer, data):
        receipt = services.transfer_confirm_receipt(
            access=request.access, transfer_id=transfer.pk, received_on=data["received_on"],
            net_mass_kg=data["net_mass_kg"], unit_count=data["unit_count"], ticket=data["ticket"],
            ticket_number=data["ticket_number"], gross_kg=data["gross_kg"], tare_kg=data["tare_kg"],
            vehicle_registration=data["vehicle_registration"])
        if receipt.transfer.discrepancies.exists():
            messages.warning(request, _("The received figures differ from the declared ones beyond the "
                                        "tolerance: a discrepancy was opened."))

    return _step(request, transfer_id, form_class=ReceiptForm, template="custody/transfer_confirm.html", call=call,
                 success=_("Receipt confirmed."), file_field="ticket")


@require(Perm.VIEW)
def transfer_dispute(request, transfer_id):
    def call(transfer, data):
        services.transfer_dispute(access=request.access, transfer_id=transfer.pk, reason=data["reason"],
                                  received_on=data["received_on"], net_mass_kg=data["net_mass_kg"],
                                  unit_count=data["unit_count"])

    return _step(request, transfer_id, form_class=DisputeForm, template="custody/transfer_dispute.html", call=call,
                 success=_("Receipt disputed: a discrepancy was opened."))


@upload_view(Perm.VIEW)
def transfer_paper_receipt(request, transfer_id):
    def call(transfer, data):
        services.transfer_attach_paper_receipt(
            access=request.access, transfer_id=transfer.pk, received_on=data["received_on"],
            document=data["document"], net_mass_kg=data["net_mass_kg"], unit_count=data["unit_count"],
            receipt_number=data["receipt_number"])

    return _step(request, transfer_id, form_class=PaperReceiptForm, template="custody/transfer_paper_receipt.html",
                 call=call, success=_("Paper receipt attached."), is_receiver_step=False, file_field="document")


@upload_view(Perm.VIEW)
def transfer_processing(request, transfer_id):
    transfer = _own_step(request, transfer_id, is_receiver_step=True)
    form = ProcessingForm(request.POST or None, request.FILES or None)
    lots = LotFormSet(request.POST or None, prefix="lots")
    context = {"transfer": transfer, "form": form, "lots": lots}
    if request.method == "POST" and _upload_refused(request, form, "assay_report"):
        return render(request, "custody/transfer_processing.html", context, status=400)
    if request.method == "POST" and form.is_valid() and lots.is_valid():
        data = form.cleaned_data
        try:
            services.transfer_record_processing(
                access=request.access, transfer_id=transfer.pk, processed_on=data["processed_on"],
                lots=[lot for f in lots if (lot := f.lot()) is not None], notes=data["notes"],
                assay_report=data["assay_report"], assay_laboratory=data["assay_laboratory"],
                assay_sample_date=data["assay_sample_date"], assay_report_number=data["assay_report_number"],
                assay_lot=data["assay_lot"])
        except ApplicationError as error:
            return _refused(request, form, error, "custody/transfer_processing.html", context)
        messages.success(request, _("Processing recorded."))
        return redirect("custody:transfer", transfer_id=transfer.pk)
    status = 400 if form.errors or (request.method == "POST" and not lots.is_valid()) else 200
    return render(request, "custody/transfer_processing.html", context, status=status)


@upload_view(Perm.VIEW)
def transfer_certificate(request, transfer_id):
    def call(transfer, data):
        services.transfer_issue_certificate(
            access=request.access, transfer_id=transfer.pk, number=data["number"], issued_on=data["issued_on"],
            statement=data["statement"], signed_file=data["signed_file"])

    return _step(request, transfer_id, form_class=CertificateForm, template="custody/transfer_certificate.html",
                 call=call, success=_("Certificate of recycling issued."), file_field="signed_file")


def _discrepancy_action(request, discrepancy_id, form_class, call, success):
    discrepancy = selectors.discrepancy_get(organisation=request.organisation, discrepancy_id=discrepancy_id)
    if discrepancy is None:
        raise Http404
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        try:
            call(form.cleaned_data)
        except ApplicationError as error:
            if error.status == 404:
                raise Http404 from error
            if error.status == 403:
                raise PermissionDenied from error
            messages.error(request, error.message)
        else:
            messages.success(request, success)
    return redirect(reverse("custody:transfer", args=[discrepancy.transfer_id]) + f"#discrepancy-{discrepancy.pk}")


@require(Perm.VIEW)
@require_POST
def discrepancy_comment(request, discrepancy_id):
    return _discrepancy_action(request, discrepancy_id, CommentForm, lambda data: services.discrepancy_comment(
        access=request.access, discrepancy_id=discrepancy_id, body=data["body"]), _("Comment added."))


@require(Perm.VIEW)
@require_POST
def discrepancy_resolve(request, discrepancy_id):
    return _discrepancy_action(request, discrepancy_id, ResolveForm, lambda data: services.discrepancy_resolve(
        access=request.access, discrepancy_id=discrepancy_id, resolution=data["resolution"]),
        _("Discrepancy resolved."))


@require(Perm.CUSTODY_DISPATCH)
def recycler_invite(request):
    form = InviteRecyclerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invited = services.recycler_invite(access=request.access, name_en=data["name_en"],
                                               name_zh=data["name_zh"], country=data["country"].upper(),
                                               email=data["email"], inviter=request.user)
        except ApplicationError as error:
            return _refused(request, form, error, "custody/recycler_invite.html", {})
        messages.success(request, _("%(name)s was invited; you can dispatch shipments to it now.")
                         % {"name": invited.organisation.name_en})
        return redirect("custody:dispatch")
    return render(request, "custody/recycler_invite.html", {"form": form}, status=400 if form.errors else 200)
