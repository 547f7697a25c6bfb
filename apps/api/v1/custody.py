"""Custody ledger: transfers between organisations, their ledger and its verification, and the steps
(dispatch, receipt, dispute, paper receipt, discrepancy thread, processing, certificate, recycler invitation).

A recycler's WMS confirms receipts with an API key (role staff or compliance manager). Confirming is safe to
retry: a replayed or concurrent confirmation answers 409 `already_received` and never makes a second receipt.
Only the two parties see a transfer; anyone else gets 404, exactly as for a missing one.
"""
import json

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import Perm
from apps.api.v1.evidence import EvidenceMultiPartParser
from apps.core.errors import ApplicationError
from apps.custody import selectors, services
from apps.custody.models import Transfer
from apps.evidence import services as vault
from apps.evidence.storage import install_upload_handling


def _org(request):
    return request._request.organisation


def _access(request):
    return request._request.access


def _transfer_or_404(request, transfer_id) -> Transfer:
    transfer = selectors.transfer_get(organisation=_org(request), transfer_id=transfer_id,
                                      shipment_scope=_access(request).shipment_scope)
    if transfer is None:
        raise Http404
    return transfer


class PartySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.CharField()
    name_en = serializers.CharField()
    name_zh = serializers.CharField()


class ReceiptSerializer(serializers.Serializer):
    received_on = serializers.DateField()
    net_mass_kg = serializers.DecimalField(max_digits=14, decimal_places=3)
    unit_count = serializers.IntegerField()
    ticket_number = serializers.CharField()
    ticket_sha256 = serializers.CharField()
    confirmed_by_label = serializers.CharField()
    created_at = serializers.DateTimeField()


class PaperReceiptSerializer(serializers.Serializer):
    received_on = serializers.DateField()
    net_mass_kg = serializers.DecimalField(max_digits=14, decimal_places=3, allow_null=True)
    unit_count = serializers.IntegerField(allow_null=True)
    sha256 = serializers.CharField()
    uploaded_by_label = serializers.CharField()


class CommentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    organisation = serializers.UUIDField(source="organisation_id")
    author_label = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class DiscrepancySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()
    opened_by = serializers.UUIDField(source="opened_by_id")
    declared_net_mass_kg = serializers.DecimalField(max_digits=14, decimal_places=3)
    received_net_mass_kg = serializers.DecimalField(max_digits=14, decimal_places=3, allow_null=True)
    declared_unit_count = serializers.IntegerField()
    received_unit_count = serializers.IntegerField(allow_null=True)
    resolution = serializers.CharField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    comments = CommentSerializer(many=True, source="comments.all")


class ProcessingSerializer(serializers.Serializer):
    processed_on = serializers.DateField()
    black_mass_kg = serializers.DecimalField(max_digits=14, decimal_places=3)
    recovered_mass_kg = serializers.DecimalField(max_digits=14, decimal_places=3)
    lots = serializers.JSONField()
    lots_sha256 = serializers.CharField()
    assay_sha256 = serializers.CharField()


class CertificateSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()
    issued_on = serializers.DateField()
    statement = serializers.CharField()
    content_sha256 = serializers.CharField()
    file_sha256 = serializers.CharField()


class TransferSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    sender = PartySerializer()
    receiver = PartySerializer()
    receiver_joined = serializers.BooleanField()
    shipment_id = serializers.SerializerMethodField()
    shipment_reference = serializers.CharField()
    dispatched_on = serializers.DateField()
    dispatched_at = serializers.DateTimeField()
    declared_masses = serializers.DictField(child=serializers.CharField())
    declared_net_mass_kg = serializers.DecimalField(max_digits=14, decimal_places=3)
    declared_unit_count = serializers.IntegerField()
    unit_codes_sha256 = serializers.CharField()
    manifest_sha256 = serializers.CharField()
    declaration_sha256 = serializers.CharField()
    mass_tolerance_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    unit_tolerance = serializers.IntegerField()
    open_discrepancies = serializers.IntegerField()
    ledger_length = serializers.IntegerField()
    ledger_head = serializers.CharField()
    receipt = serializers.SerializerMethodField()
    paper_receipt = serializers.SerializerMethodField()

    def get_shipment_id(self, transfer) -> str | None:
        """The caller's own shipment: the sender's outbound one, or the receiver's inbound one."""
        organisation = self.context["organisation"]
        own = transfer.shipment_id if transfer.sender_id == organisation.pk else transfer.inbound_shipment_id
        return str(own) if own else None

    def _one(self, transfer, name, serializer):
        value = getattr(transfer, name, None)
        return serializer(value).data if value is not None else None

    @extend_schema_field(ReceiptSerializer(allow_null=True))
    def get_receipt(self, transfer):
        return self._one(transfer, "receipt", ReceiptSerializer)

    @extend_schema_field(PaperReceiptSerializer(allow_null=True))
    def get_paper_receipt(self, transfer):
        return self._one(transfer, "paper_receipt", PaperReceiptSerializer)


class TransferDetailSerializer(TransferSerializer):
    discrepancies = DiscrepancySerializer(many=True, source="discrepancies.all")
    processing = serializers.SerializerMethodField()
    certificate = serializers.SerializerMethodField()

    @extend_schema_field(ProcessingSerializer(allow_null=True))
    def get_processing(self, transfer):
        return self._one(transfer, "processing", ProcessingSerializer)

    @extend_schema_field(CertificateSerializer(allow_null=True))
    def get_certificate(self, transfer):
        return self._one(transfer, "certificate", CertificateSerializer)


class LedgerEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    seq = serializers.IntegerField()
    kind = serializers.CharField()
    at = serializers.DateTimeField()
    organisation = serializers.UUIDField(source="organisation_id")
    actor_label = serializers.CharField()
    channel = serializers.CharField()
    payload = serializers.JSONField()
    payload_sha256 = serializers.CharField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()


VerificationSerializer = inline_serializer("CustodyLedgerVerification", {
    "intact": serializers.BooleanField(),
    "entries": serializers.IntegerField(),
    "transfers": serializers.IntegerField(),
    "first_broken_entry": inline_serializer("CustodyLedgerBreak", {
        "id": serializers.IntegerField(allow_null=True), "transfer": serializers.UUIDField(),
        "seq": serializers.IntegerField(allow_null=True), "reason": serializers.CharField()}, allow_null=True),
})


def _verification(result) -> dict:
    broken = result.first_break
    return {"intact": result.intact, "entries": result.entries, "transfers": result.transfers,
            "first_broken_entry": None if broken is None else {
                "id": broken.entry_id, "transfer": str(broken.transfer_id), "seq": broken.seq,
                "reason": broken.reason}}


def _detail(request, transfer_id, code=status.HTTP_200_OK) -> Response:
    transfer = _transfer_or_404(request, transfer_id)
    return Response(TransferDetailSerializer(transfer, context={"organisation": _org(request)}).data, status=code)


# --- reads ----------------------------------------------------------------------------------------

class TransferListApi(ListAPIView):
    """Transfers the organisation sent (`direction=outgoing`, the default) or received (`incoming`)."""

    serializer_class = TransferSerializer

    @extend_schema(parameters=[OpenApiParameter("direction", str, enum=["outgoing", "incoming"])],
                   operation_id="custody_transfers_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        direction = self.request.query_params.get("direction", "outgoing")
        if direction not in ("outgoing", "incoming"):
            raise serializers.ValidationError({"direction": ["outgoing or incoming"]})
        return selectors.transfer_list(organisation=_org(self.request), direction=direction,
                                       shipment_scope=_access(self.request).shipment_scope)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "organisation": _org(self.request)}


class TransferDetailApi(APIView):
    @extend_schema(responses=TransferDetailSerializer, operation_id="custody_transfer_retrieve")
    def get(self, request, transfer_id):
        return _detail(request, transfer_id)


class TransferLedgerApi(APIView):
    @extend_schema(responses=LedgerEntrySerializer(many=True), operation_id="custody_transfer_ledger")
    def get(self, request, transfer_id):
        transfer = _transfer_or_404(request, transfer_id)
        return Response(LedgerEntrySerializer(transfer.ledger.all(), many=True).data)


class TransferVerifyApi(APIView):
    @extend_schema(responses=VerificationSerializer, operation_id="custody_transfer_verify")
    def get(self, request, transfer_id):
        transfer = _transfer_or_404(request, transfer_id)
        return Response(_verification(selectors.ledger_verify(organisation=_org(request), transfer_id=transfer.pk)))


class LedgerVerifyApi(APIView):
    """Verify the chains of every transfer the organisation is a party to; name the first broken entry."""

    @extend_schema(responses=VerificationSerializer, operation_id="custody_ledger_verify")
    def get(self, request):
        return Response(_verification(selectors.ledger_verify(organisation=_org(request))))


class RecyclerListApi(APIView):
    """Recyclers a shipment can be dispatched to (`joined`: someone has accepted an invitation)."""

    required_permission = Perm.CUSTODY_DISPATCH

    class OutputSerializer(PartySerializer):
        country = serializers.CharField()
        joined = serializers.BooleanField()

    @extend_schema(responses=OutputSerializer(many=True), operation_id="custody_recyclers_list")
    def get(self, request):
        return Response(self.OutputSerializer(selectors.recycler_choices(organisation=_org(request)), many=True).data)


# --- steps ----------------------------------------------------------------------------------------

class DispatchApi(APIView):
    required_permission = Perm.CUSTODY_DISPATCH

    class InputSerializer(serializers.Serializer):
        shipment = serializers.UUIDField()
        receiver = serializers.UUIDField()
        manifest_revision = serializers.UUIDField(required=False, allow_null=True,
                                                  help_text="defaults to the shipment's latest transport manifest")

    @extend_schema(request=InputSerializer, responses={201: TransferDetailSerializer},
                   operation_id="custody_dispatch")
    def post(self, request):
        data = _valid(self.InputSerializer, request)
        transfer = services.shipment_dispatch(access=_access(request), shipment_id=data["shipment"],
                                              receiver_id=data["receiver"],
                                              manifest_revision_id=data.get("manifest_revision"))
        return _detail(request, transfer.pk, status.HTTP_201_CREATED)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


MASS = {"max_digits": 14, "decimal_places": 3, "min_value": 0}
FILE_HELP = "goes into the organisation's evidence vault, through the vault's checks (type, size, PDF)"


class VaultUploadMixin:
    """Files stream through the vault's hashing upload handler and raw-name parser (installed before
    authentication, since the session's CSRF check may read the body first), so the documents of custody
    steps get the vault's checks from the first byte."""

    file_field = "file"

    def initialize_request(self, request, *args, **kwargs):
        self.upload_handler = install_upload_handling(request) if request.method == "POST" else None
        return super().initialize_request(request, *args, **kwargs)

    def valid_input(self, request) -> dict:
        request.data  # noqa: B018 - parses the body through the handler
        if self.upload_handler is not None and self.upload_handler.refusal == "too_large":
            refusal = vault.too_large_error()
            raise ApplicationError(refusal.message, code=refusal.code, field=self.file_field)
        return _valid(self.InputSerializer, request)


class ReceiptConfirmApi(VaultUploadMixin, APIView):
    """Confirm receipt (multipart, with the weighbridge ticket and the gross and tare weights it states; the
    ticket goes into the recycler's vault as a `weighbridge_ticket`). A replay answers 409 `already_received`."""

    required_permission = Perm.CUSTODY_RECEIVE
    parser_classes = [EvidenceMultiPartParser, FormParser]
    file_field = "ticket"

    class InputSerializer(serializers.Serializer):
        received_on = serializers.DateField()
        net_mass_kg = serializers.DecimalField(**MASS)
        unit_count = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
        ticket_number = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
        gross_kg = serializers.DecimalField(help_text="gross weight on the weighbridge ticket", **MASS)
        tare_kg = serializers.DecimalField(help_text="tare weight on the weighbridge ticket", **MASS)
        vehicle_registration = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")
        ticket = serializers.FileField(help_text=f"weighbridge ticket: {FILE_HELP}")

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses={201: TransferDetailSerializer},
                   operation_id="custody_receipt_confirm")
    def post(self, request, transfer_id):
        _transfer_or_404(request, transfer_id)  # not-found before any validation
        data = self.valid_input(request)
        services.transfer_confirm_receipt(access=_access(request), transfer_id=transfer_id, **data)
        return _detail(request, transfer_id, status.HTTP_201_CREATED)


class DisputeApi(APIView):
    required_permission = Perm.CUSTODY_RECEIVE

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=4000)
        received_on = serializers.DateField(required=False, allow_null=True, default=None)
        net_mass_kg = serializers.DecimalField(required=False, allow_null=True, default=None, **MASS)
        unit_count = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0,
                                              max_value=2**31 - 1)

    @extend_schema(request=InputSerializer, responses={201: TransferDetailSerializer}, operation_id="custody_dispute")
    def post(self, request, transfer_id):
        _transfer_or_404(request, transfer_id)  # not-found before any validation
        data = _valid(self.InputSerializer, request)
        services.transfer_dispute(access=_access(request), transfer_id=transfer_id, **data)
        return _detail(request, transfer_id, status.HTTP_201_CREATED)


class PaperReceiptApi(VaultUploadMixin, APIView):
    """The sender attaches the recycler's paper receipt (a `receipt` in the sender's own vault)."""

    required_permission = Perm.CUSTODY_DISPATCH
    parser_classes = [EvidenceMultiPartParser, FormParser]
    file_field = "document"

    class InputSerializer(serializers.Serializer):
        received_on = serializers.DateField()
        net_mass_kg = serializers.DecimalField(required=False, allow_null=True, default=None, **MASS)
        unit_count = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0,
                                              max_value=2**31 - 1)
        receipt_number = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
        document = serializers.FileField(help_text=f"the signed receipt: {FILE_HELP}")

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses={201: TransferDetailSerializer},
                   operation_id="custody_paper_receipt")
    def post(self, request, transfer_id):
        _transfer_or_404(request, transfer_id)  # not-found before any validation
        data = self.valid_input(request)
        services.transfer_attach_paper_receipt(access=_access(request), transfer_id=transfer_id, **data)
        return _detail(request, transfer_id, status.HTTP_201_CREATED)


class LotInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    kind = serializers.CharField(max_length=24)
    mass_kg = serializers.DecimalField(**MASS)
    elements = serializers.DictField(child=serializers.DecimalField(max_digits=7, decimal_places=4), required=False,
                                     default=dict, help_text='percent of the lot mass, e.g. {"Co": "8.2"}')


class LotsField(serializers.ListField):
    """A list of lots: JSON in a JSON body, or a JSON-encoded string in a multipart form."""

    child = LotInputSerializer()

    def get_value(self, dictionary):
        value = dictionary.get(self.field_name, serializers.empty)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                pass  # not JSON: the list field refuses the text with its own (translated) message, on `lots`
        return value


class ProcessingApi(VaultUploadMixin, APIView):
    """Record the processing outcome (JSON, or multipart with an `assay_report` file and `lots` as JSON text).
    An assay report goes into the recycler's vault as an `assay_report` for one lot (`assay_lot`, else the
    first black mass lot) with that lot's element contents; `assay_laboratory` and `assay_sample_date` are
    then required."""

    required_permission = Perm.CUSTODY_RECEIVE
    parser_classes = [JSONParser, EvidenceMultiPartParser, FormParser]
    file_field = "assay_report"

    class InputSerializer(serializers.Serializer):
        processed_on = serializers.DateField()
        lots = LotsField(min_length=1, max_length=50)
        notes = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
        assay_report = serializers.FileField(required=False, allow_null=True, default=None, help_text=FILE_HELP)
        assay_laboratory = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
        assay_sample_date = serializers.DateField(required=False, allow_null=True, default=None)
        assay_report_number = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
        assay_lot = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")

    @extend_schema(request={"application/json": InputSerializer, "multipart/form-data": InputSerializer},
                   responses={201: TransferDetailSerializer}, operation_id="custody_processing_record")
    def post(self, request, transfer_id):
        _transfer_or_404(request, transfer_id)  # not-found before any validation
        data = self.valid_input(request)
        lots = [services.LotInput(code=lot["code"], kind=lot["kind"], mass_kg=lot["mass_kg"],
                                  elements=dict(lot.get("elements") or {})) for lot in data.pop("lots")]
        services.transfer_record_processing(access=_access(request), transfer_id=transfer_id, lots=lots, **data)
        return _detail(request, transfer_id, status.HTTP_201_CREATED)


class CertificateApi(VaultUploadMixin, APIView):
    """Issue the certificate of recycling; a signed file goes into the recycler's vault as a
    `recycling_certificate`."""

    required_permission = Perm.CUSTODY_RECEIVE
    parser_classes = [JSONParser, EvidenceMultiPartParser, FormParser]
    file_field = "signed_file"

    class InputSerializer(serializers.Serializer):
        number = serializers.CharField(max_length=64)
        issued_on = serializers.DateField()
        statement = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
        signed_file = serializers.FileField(required=False, allow_null=True, default=None, help_text=FILE_HELP)

    @extend_schema(request={"application/json": InputSerializer, "multipart/form-data": InputSerializer},
                   responses={201: TransferDetailSerializer}, operation_id="custody_certificate_issue")
    def post(self, request, transfer_id):
        _transfer_or_404(request, transfer_id)  # not-found before any validation
        data = self.valid_input(request)
        services.transfer_issue_certificate(access=_access(request), transfer_id=transfer_id, **data)
        return _detail(request, transfer_id, status.HTTP_201_CREATED)


class DiscrepancyCommentApi(APIView):
    required_permission = Perm.VIEW  # the service asks for the party's custody permission

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=4000)

    @extend_schema(request=InputSerializer, responses={201: CommentSerializer},
                   operation_id="custody_discrepancy_comment")
    def post(self, request, discrepancy_id):
        if selectors.discrepancy_get(organisation=_org(request), discrepancy_id=discrepancy_id) is None:
            raise Http404
        data = _valid(self.InputSerializer, request)
        comment = services.discrepancy_comment(access=_access(request), discrepancy_id=discrepancy_id,
                                               body=data["body"])
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class DiscrepancyResolveApi(APIView):
    required_permission = Perm.VIEW  # the service asks for the party's custody permission

    class InputSerializer(serializers.Serializer):
        resolution = serializers.CharField(max_length=4000)

    @extend_schema(request=InputSerializer, responses={200: TransferDetailSerializer},
                   operation_id="custody_discrepancy_resolve")
    def post(self, request, discrepancy_id):
        if selectors.discrepancy_get(organisation=_org(request), discrepancy_id=discrepancy_id) is None:
            raise Http404
        data = _valid(self.InputSerializer, request)
        discrepancy = services.discrepancy_resolve(access=_access(request), discrepancy_id=discrepancy_id,
                                                   resolution=data["resolution"])
        return _detail(request, discrepancy.transfer_id)


class RecyclerInviteApi(APIView):
    required_permission = Perm.CUSTODY_DISPATCH

    class InputSerializer(serializers.Serializer):
        name_en = serializers.CharField(max_length=200)
        name_zh = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        country = serializers.CharField(min_length=2, max_length=2)
        email = serializers.EmailField(max_length=254)

    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        email = serializers.EmailField()
        organisation = PartySerializer()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer}, operation_id="custody_recycler_invite")
    def post(self, request):
        data = _valid(self.InputSerializer, request)
        user = request.user if getattr(request.user, "pk", None) else None
        invited = services.recycler_invite(access=_access(request), name_en=data["name_en"], name_zh=data["name_zh"],
                                           country=data["country"].upper(), email=data["email"], inviter=user)
        return Response(self.OutputSerializer(invited).data, status=status.HTTP_201_CREATED)
