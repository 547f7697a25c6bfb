"""Dossiers: request one (the scope is frozen now, rendering is queued), follow its status, download it."""
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import Perm
from apps.dossiers import selectors, services
from apps.dossiers.models import DossierLanguage, ScopeKind


class DossierOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    scope_kind = serializers.ChoiceField(choices=ScopeKind.choices)
    scope_id = serializers.UUIDField(allow_null=True)
    scope_label = serializers.CharField()
    language = serializers.ChoiceField(choices=DossierLanguage.choices)
    status = serializers.CharField()
    progress = serializers.IntegerField()
    unit_count = serializers.IntegerField()
    snapshot_digest = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField(allow_null=True)
    page_count = serializers.IntegerField(allow_null=True)
    requested_by = serializers.CharField(source="requested_by_label")
    created_at = serializers.DateTimeField()
    issued_at = serializers.DateTimeField(allow_null=True)
    superseded_by = serializers.UUIDField(source="superseded_by_id", allow_null=True)
    error_code = serializers.CharField()


class DossierListApi(ListAPIView):
    """GET: the dossiers visible to the caller. POST: request a new dossier."""

    required_permissions = {"POST": Perm.DOSSIER_GENERATE}

    class InputSerializer(serializers.Serializer):
        scope_kind = serializers.ChoiceField(choices=ScopeKind.choices)
        language = serializers.ChoiceField(choices=DossierLanguage.choices)
        shipment = serializers.UUIDField(required=False, allow_null=True)
        model = serializers.UUIDField(required=False, allow_null=True)
        year = serializers.IntegerField(required=False, allow_null=True)
        plant = serializers.CharField(required=False, allow_blank=True, max_length=200)
        period_start = serializers.DateField(required=False, allow_null=True)
        period_end = serializers.DateField(required=False, allow_null=True)

    OutputSerializer = DossierOutputSerializer
    serializer_class = DossierOutputSerializer

    def get_queryset(self):
        return selectors.dossier_list(access=self.request._request.access)

    @extend_schema(request=InputSerializer, responses={202: DossierOutputSerializer}, operation_id="dossier_request")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        dossier = services.dossier_request(
            access=request._request.access, organisation=request._request.organisation,
            scope_kind=values["scope_kind"], language=values["language"], shipment_id=values.get("shipment"),
            model_id=values.get("model"), year=values.get("year"), plant=values.get("plant", ""),
            period_start=values.get("period_start"), period_end=values.get("period_end"))
        return Response(DossierOutputSerializer(dossier).data, status=status.HTTP_202_ACCEPTED)


def _dossier(request, dossier_id):
    dossier = selectors.dossier_get(access=request._request.access, dossier_id=dossier_id)
    if dossier is None:
        raise exceptions.NotFound()
    return dossier


class DossierDetailApi(APIView):
    @extend_schema(responses=DossierOutputSerializer, operation_id="dossier_status")
    def get(self, request, dossier_id):
        return Response(DossierOutputSerializer(_dossier(request, dossier_id)).data)


class DossierDownloadApi(APIView):
    required_permission = Perm.DOSSIER_DOWNLOAD

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY,
                                                                        description="The issued PDF/A-3 file"),
                              404: OpenApiResponse(description="Unknown, not visible, or not issued yet")},
                   operation_id="dossier_download")
    def get(self, request, dossier_id):
        dossier = _dossier(request, dossier_id)
        if not dossier.is_done:
            raise exceptions.NotFound()
        services.dossier_download_record(access=request._request.access, dossier=dossier)
        response = FileResponse(services.dossier_open(dossier), as_attachment=True,
                                filename=f"cellpass-dossier-{dossier.sha256[:12]}.pdf", content_type="application/pdf")
        response["X-Dossier-SHA256"] = dossier.sha256
        return response
