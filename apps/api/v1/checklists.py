"""Checklist evaluations and requirement results (read), the protocols, and a trigger to evaluate a
scope now. Auditors restricted to some shipments see only those (the selectors filter)."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import Perm
from apps.api.pagination import CursorPagination, IdCursorPagination
from apps.checklists import selectors, services
from apps.checklists.models import ScopeKind, Status, Trigger
from apps.checklists.protocol import registry


def _access(request):
    return request._request.access


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


class ResultSerializer(serializers.Serializer):
    requirement_id = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    severity = serializers.CharField()
    title = serializers.SerializerMethodField()
    reasons = serializers.ListField(child=serializers.DictField(child=serializers.CharField()),
                                    help_text="Each reason in English (en) and Simplified Chinese (zh).")
    revision_ids = serializers.ListField(child=serializers.UUIDField(),
                                         help_text="Evidence revisions the result is based on.")
    upload_types = serializers.ListField(child=serializers.CharField(),
                                         help_text="Evidence types that would satisfy a requirement not met.")
    qualifier = serializers.CharField(help_text="'unconfirmed': met on a paper receipt not confirmed on the platform.")
    sources = serializers.ListField(child=serializers.CharField(), help_text="REFERENCE source keys.")

    def get_title(self, result) -> dict[str, str]:
        return {"en": result.title_en, "zh": result.title_zh}


class EvaluationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    scope_kind = serializers.ChoiceField(choices=ScopeKind.choices)
    scope_id = serializers.CharField()
    scope_label = serializers.CharField()
    protocol_id = serializers.CharField()
    protocol_version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Status.choices)
    met_count = serializers.IntegerField()
    applicable_count = serializers.IntegerField()
    inputs_digest = serializers.CharField(help_text="SHA-256 of the canonical facts and the protocol file.")
    evaluated_on = serializers.DateField(help_text="The day the evaluation was computed for.")
    created_at = serializers.DateTimeField()
    trigger = serializers.ChoiceField(choices=Trigger.choices)


class EvaluationListApi(ListAPIView):
    """Evaluations, newest first; `latest=true` keeps only the current one per scope and protocol."""

    pagination_class = CursorPagination

    class OutputSerializer(EvaluationSerializer):
        pass

    serializer_class = OutputSerializer

    @extend_schema(operation_id="checklists_evaluations_list", parameters=[
        OpenApiParameter("scope_kind", OpenApiTypes.STR, enum=ScopeKind.values),
        OpenApiParameter("scope_id", OpenApiTypes.STR),
        OpenApiParameter("protocol", OpenApiTypes.STR),
        OpenApiParameter("latest", OpenApiTypes.BOOL)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return selectors.evaluation_list(access=_access(self.request), scope_kind=params.get("scope_kind", ""),
                                         scope_id=params.get("scope_id", ""), protocol_id=params.get("protocol", ""),
                                         latest=_flag(params.get("latest")))


class EvaluationDetailApi(APIView):
    class OutputSerializer(EvaluationSerializer):
        results = ResultSerializer(many=True)

    @extend_schema(responses=OutputSerializer, operation_id="checklists_evaluations_retrieve")
    def get(self, request, evaluation_id):
        evaluation = selectors.evaluation_get(access=_access(request), evaluation_id=evaluation_id)
        if evaluation is None:
            raise NotFound()
        return Response(self.OutputSerializer(evaluation).data)


class ResultListApi(ListAPIView):
    """Requirement results of the current evaluations (e.g. every failed requirement, for an ERP)."""

    pagination_class = IdCursorPagination

    class OutputSerializer(ResultSerializer):
        id = serializers.IntegerField()
        evaluation = serializers.UUIDField(source="evaluation_id")
        scope_kind = serializers.CharField(source="evaluation.scope_kind")
        scope_id = serializers.CharField(source="evaluation.scope_id")
        scope_label = serializers.CharField(source="evaluation.scope_label")
        protocol_id = serializers.CharField(source="evaluation.protocol_id")
        protocol_version = serializers.IntegerField(source="evaluation.protocol_version")

    serializer_class = OutputSerializer

    @extend_schema(operation_id="checklists_results_list", parameters=[
        OpenApiParameter("status", OpenApiTypes.STR, enum=Status.values),
        OpenApiParameter("protocol", OpenApiTypes.STR),
        OpenApiParameter("scope_kind", OpenApiTypes.STR, enum=ScopeKind.values),
        OpenApiParameter("history", OpenApiTypes.BOOL, description="Include results of earlier evaluations.")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return selectors.result_list(access=_access(self.request), status=params.get("status", ""),
                                     protocol_id=params.get("protocol", ""), scope_kind=params.get("scope_kind", ""),
                                     latest=not _flag(params.get("history")))


class ProtocolListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.CharField()
        version = serializers.IntegerField()
        scope = serializers.CharField()
        title = serializers.DictField(child=serializers.CharField())
        selected = serializers.BooleanField()
        requirements = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses=OutputSerializer(many=True), operation_id="checklists_protocols_list")
    def get(self, request):
        selected = set(selectors.selected_protocol_ids())
        data = [{"id": p.id, "version": p.version, "scope": p.scope, "title": p.title.as_dict(),
                 "selected": p.id in selected,
                 "requirements": [{"id": r.id, "title": r.title.as_dict(), "severity": r.severity,
                                   "sources": list(r.sources)} for r in p.requirements]}
                for p in registry().latest_all()]
        return Response(self.OutputSerializer(data, many=True).data)


class TriggerApi(APIView):
    """Evaluate one scope now (queued; the result appears in the evaluations when the worker is done)."""

    required_permission = Perm.CHECKLIST_RUN

    class InputSerializer(serializers.Serializer):
        scope_kind = serializers.ChoiceField(choices=ScopeKind.choices)
        scope_id = serializers.CharField(max_length=80)

    class OutputSerializer(serializers.Serializer):
        scope_kind = serializers.CharField()
        scope_id = serializers.CharField()
        queued = serializers.BooleanField()

    @extend_schema(request=InputSerializer, responses={202: OutputSerializer}, operation_id="checklists_trigger")
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scope_id = services.evaluation_request(access=_access(request), trigger=Trigger.API,
                                               scope_kind=serializer.validated_data["scope_kind"],
                                               scope_id=serializer.validated_data["scope_id"])
        return Response(self.OutputSerializer({"scope_kind": serializer.validated_data["scope_kind"],
                                               "scope_id": scope_id, "queued": True}).data,
                        status=status.HTTP_202_ACCEPTED)
