"""Evidence vault API: documents (list, retrieve, create with a multipart upload), new revisions,
downloads, review decisions, and the type registry with its key fields."""
from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import Perm
from apps.core.errors import ApplicationError
from apps.evidence import selectors, services
from apps.evidence.doctypes import all_doctypes
from apps.evidence.keyfields import Field
from apps.evidence.models import EvidenceType, RevisionStatus
from apps.evidence.storage import RawNameMultiPartParser, install_upload_handling
from apps.evidence.views import download_response
from apps.traceability.models import BatteryModel, BatteryUnit, MaterialLot, Shipment


class EvidenceMultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser on top of the vault's raw-name parser (file names are refused, not
    silently rewritten, when unsafe)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        encoding = parser_context.get("encoding") or "utf-8"
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        try:
            data, files = RawNameMultiPartParser(meta, stream, request.upload_handlers, encoding).parse()
        except Exception as exc:  # noqa: BLE001 - any malformed body is the client's error
            raise exceptions.ParseError(str(exc)) from exc
        return parsers.DataAndFiles(data, files)


class UploadApiMixin:
    """Streams uploads through the vault's hashing handler (installed before authentication, since
    the session's CSRF check may read the body first)."""

    parser_classes = [EvidenceMultiPartParser]

    def initialize_request(self, request, *args, **kwargs):
        self.upload_handler = install_upload_handling(request) if request.method == "POST" else None
        return super().initialize_request(request, *args, **kwargs)

    def upload_of(self, request) -> Any:
        upload = request.FILES.get("file")  # parses the body (through the handler) if not done yet
        if self.upload_handler is not None and self.upload_handler.refusal == "too_large":
            raise services.too_large_error()
        return upload


# --- output -------------------------------------------------------------------------------------

class ReviewOutput(serializers.Serializer):
    decision = serializers.CharField()
    reason = serializers.CharField()
    reviewer_label = serializers.CharField()
    created_at = serializers.DateTimeField()


class RevisionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RevisionStatus.choices)
    original_filename = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    effective_date = serializers.DateField(allow_null=True)
    expiry_date = serializers.DateField(allow_null=True)
    key_fields = serializers.JSONField()
    flags = serializers.JSONField()
    uploaded_by_label = serializers.CharField()
    created_at = serializers.DateTimeField()
    reviewed_by_label = serializers.CharField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, revision) -> str:
        return f"/api/v1/evidence/revisions/{revision.pk}/download/"


class RevisionWithReviewsOutput(RevisionOutput):
    reviews = ReviewOutput(many=True, source="reviews.all")


class LinkIds(serializers.ListField):
    """Ids of linked register objects (`source` names the many-to-many relation)."""

    child = serializers.UUIDField()

    def to_representation(self, manager):
        return [str(obj.pk) for obj in manager.all()]


class EvidenceSummaryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    doc_type = serializers.ChoiceField(choices=EvidenceType.choices)
    doc_type_name = serializers.CharField(source="get_doc_type_display")
    title = serializers.CharField()
    reference = serializers.CharField()
    issuer = serializers.CharField()
    source = serializers.CharField()
    created_at = serializers.DateTimeField()
    shipments = LinkIds(read_only=True)
    current_revision = RevisionOutput(allow_null=True)


class EvidenceDetailOutput(EvidenceSummaryOutput):
    lots = LinkIds(read_only=True)
    units = LinkIds(read_only=True)
    battery_models = LinkIds(read_only=True)
    revisions = RevisionWithReviewsOutput(many=True, source="revisions.all")


def _detail(access, evidence_id) -> dict:
    evidence = selectors.evidence_get(access=access, evidence_id=evidence_id)
    if evidence is None:
        raise exceptions.NotFound()
    return EvidenceDetailOutput(evidence).data


# --- documents -------------------------------------------------------------------------------------

LIST_PARAMETERS = [
    OpenApiParameter("doc_type", str, enum=EvidenceType.values),
    OpenApiParameter("status", str, enum=RevisionStatus.values, description="status of the current revision"),
    OpenApiParameter("q", str, description="search in title, document number, issuer and file name"),
    OpenApiParameter("linked", str, description="a shipment reference or a lot, unit or model code"),
    OpenApiParameter("shipment", OpenApiTypes.UUID), OpenApiParameter("lot", OpenApiTypes.UUID),
    OpenApiParameter("unit", OpenApiTypes.UUID), OpenApiParameter("model", OpenApiTypes.UUID),
]


def _link_ids(model, ids: list, name: str) -> list:
    found = list(model.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        missing = sorted({str(i) for i in ids} - {str(o.pk) for o in found})
        raise ApplicationError(services.MSG_NOT_FOUND_LINKS % {"ids": ", ".join(missing)}, code="unknown_link",
                               field=name)
    return found


class EvidenceListCreateApi(UploadApiMixin, ListAPIView):
    """GET: documents with their current revision. POST (multipart/form-data): a new document with its
    first revision; `key_fields` is a JSON object (see /api/v1/evidence/types/)."""

    required_permissions = {"POST": Perm.EVIDENCE_UPLOAD}
    serializer_class = EvidenceSummaryOutput

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True,
                                     help_text="the document; its SHA-256, size and type are recorded at upload")
        doc_type = serializers.ChoiceField(choices=EvidenceType.choices)
        title = serializers.CharField(max_length=300)
        filename = serializers.CharField(required=False, max_length=400,
                                         help_text="file name to record, if not the uploaded part's own")
        reference = serializers.CharField(required=False, allow_blank=True, max_length=100)
        issuer = serializers.CharField(required=False, allow_blank=True, max_length=200)
        effective_date = serializers.DateField(required=False, allow_null=True)
        expiry_date = serializers.DateField(required=False, allow_null=True)
        key_fields = serializers.JSONField(required=False, help_text="key fields of the type, as a JSON object")
        shipments = serializers.ListField(child=serializers.UUIDField(), required=False)
        lots = serializers.ListField(child=serializers.UUIDField(), required=False)
        units = serializers.ListField(child=serializers.UUIDField(), required=False)
        battery_models = serializers.ListField(child=serializers.UUIDField(), required=False)

    def get_queryset(self):
        params = self.request.query_params
        links = {}
        for kind in selectors.LINK_KINDS:
            if params.get(kind):
                try:
                    links[kind] = serializers.UUIDField().to_internal_value(params[kind])
                except serializers.ValidationError as exc:
                    raise exceptions.ValidationError({kind: exc.detail}) from exc
        return selectors.evidence_list(access=self.request._request.access, doc_type=params.get("doc_type", ""),
                                       status=params.get("status", ""), q=params.get("q", ""),
                                       linked=params.get("linked", ""), **links)

    @extend_schema(parameters=LIST_PARAMETERS, operation_id="evidence_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses={201: EvidenceDetailOutput},
                   operation_id="evidence_create")
    def post(self, request):
        upload = self.upload_of(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key_fields = data.get("key_fields") or {}
        if not isinstance(key_fields, dict):
            raise exceptions.ValidationError({"key_fields": ["Expected a JSON object."]})
        links = services.Links(shipments=_link_ids(Shipment, data.get("shipments", []), "shipments"),
                               lots=_link_ids(MaterialLot, data.get("lots", []), "lots"),
                               units=_link_ids(BatteryUnit, data.get("units", []), "units"),
                               battery_models=_link_ids(BatteryModel, data.get("battery_models", []),
                                                        "battery_models"))
        access = request._request.access
        revision = services.evidence_upload(
            access=access, doc_type=data["doc_type"], title=data["title"], upload=upload or data["file"],
            filename=data.get("filename"), key_fields=key_fields, effective_date=data.get("effective_date"),
            expiry_date=data.get("expiry_date"), reference=data.get("reference", ""), issuer=data.get("issuer", ""),
            links=links)
        return Response(_detail(access, revision.evidence_id), status=status.HTTP_201_CREATED)


class EvidenceDetailApi(APIView):
    @extend_schema(responses=EvidenceDetailOutput, operation_id="evidence_retrieve")
    def get(self, request, evidence_id):
        return Response(_detail(request._request.access, evidence_id))


class EvidenceReviseApi(UploadApiMixin, APIView):
    """A new revision (multipart/form-data). Key fields and dates left out are taken over from the
    current revision; the current revision becomes superseded."""

    required_permission = Perm.EVIDENCE_UPLOAD

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True)
        filename = serializers.CharField(required=False, max_length=400)
        effective_date = serializers.DateField(required=False, allow_null=True)
        expiry_date = serializers.DateField(required=False, allow_null=True)
        key_fields = serializers.JSONField(required=False)

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses={201: EvidenceDetailOutput},
                   operation_id="evidence_revision_create")
    def post(self, request, evidence_id):
        access = request._request.access
        evidence = selectors.evidence_get(access=access, evidence_id=evidence_id)
        if evidence is None:
            raise exceptions.NotFound()
        upload = self.upload_of(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "key_fields" in data and not isinstance(data["key_fields"], dict):
            raise exceptions.ValidationError({"key_fields": ["Expected a JSON object."]})
        services.evidence_revise(access=access, evidence=evidence, upload=upload or data["file"],
                                 filename=data.get("filename"), key_fields=data.get("key_fields", services.KEEP),
                                 effective_date=data.get("effective_date", services.KEEP),
                                 expiry_date=data.get("expiry_date", services.KEEP))
        return Response(_detail(access, evidence.pk), status=status.HTTP_201_CREATED)


# --- revisions -----------------------------------------------------------------------------------

def _revision(request, revision_id):
    revision = selectors.revision_get(access=request._request.access, revision_id=revision_id)
    if revision is None:
        raise exceptions.NotFound()
    return revision


class RevisionDownloadApi(APIView):
    """The stored file, streamed, exactly as uploaded (compare its SHA-256 with the recorded one)."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)},
                   operation_id="evidence_revision_download")
    def get(self, request, revision_id):
        revision = _revision(request, revision_id)
        response = download_response(revision)  # 410 with a clear message if storage lost the file
        services.revision_download_record(access=request._request.access, revision=revision)
        return response


class RevisionAcceptApi(APIView):
    """Four eyes: a compliance manager or owner, signed in as a person, never the uploader."""

    required_permission = Perm.EVIDENCE_REVIEW

    @extend_schema(request=None, responses=RevisionWithReviewsOutput, operation_id="evidence_revision_accept")
    def post(self, request, revision_id):
        revision = services.revision_accept(access=request._request.access, revision=_revision(request, revision_id))
        return Response(RevisionWithReviewsOutput(revision).data)


class RevisionRejectApi(APIView):
    required_permission = Perm.EVIDENCE_REVIEW

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000, allow_blank=True)

    @extend_schema(request=InputSerializer, responses=RevisionWithReviewsOutput,
                   operation_id="evidence_revision_reject")
    def post(self, request, revision_id):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        revision = services.revision_reject(access=request._request.access,
                                            revision=_revision(request, revision_id),
                                            reason=serializer.validated_data["reason"])
        return Response(RevisionWithReviewsOutput(revision).data)


# --- the type registry --------------------------------------------------------------------------

def _field(f: Field) -> dict[str, Any]:
    return {
        "name": f.name, "label": str(f.label), "kind": str(f.kind), "required": f.required, "unit": f.unit,
        "min": str(f.min_value) if f.min_value is not None else None,
        "max": str(f.max_value) if f.max_value is not None else None,
        "choices": [{"value": v, "label": str(label)} for v, label in f.choices],
        "keys": [{"value": v, "label": str(label)} for v, label in f.keys],
        "columns": [_field(c) for c in f.columns], "format_hint": str(f.format_hint),
        "help_text": str(f.help_text), "derived": f.derived, "source": f.source,
    }


class EvidenceTypesApi(APIView):
    """Every document type with its names (zh-Hans, en), validity rules and key fields."""

    class OutputSerializer(serializers.Serializer):
        code = serializers.CharField()
        name = serializers.CharField()
        name_en = serializers.CharField()
        name_zh = serializers.CharField()
        effective_required = serializers.BooleanField()
        expiry_required = serializers.BooleanField()
        sources = serializers.ListField(child=serializers.CharField())
        fields = serializers.JSONField()

    @extend_schema(responses=OutputSerializer(many=True), operation_id="evidence_types")
    def get(self, request):
        rows = [{"code": d.code, "name": str(d.label), "name_en": d.name_en, "name_zh": d.name_zh,
                 "effective_required": d.effective_required, "expiry_required": d.expiry_required,
                 "sources": list(d.sources), "fields": [_field(f) for f in d.fields]} for d in all_doctypes()]
        return Response(self.OutputSerializer(rows, many=True).data)

