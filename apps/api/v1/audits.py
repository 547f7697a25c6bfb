"""Auditor engagements (for owners and compliance managers) and findings (raised by auditors,
answered and resolved by the organisation)."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import Perm
from apps.api.pagination import CursorPagination, IdCursorPagination
from apps.audits import selectors as engagement_selectors
from apps.audits import services as engagement_services
from apps.audits.findings import selectors as finding_selectors
from apps.audits.findings import services as finding_services
from apps.audits.findings.models import Severity, TargetKind
from apps.audits.forms import window_from_dates
from apps.audits.models import EngagementScope


def _organisation(request):
    return request._request.organisation


def _access(request):
    return request._request.access


class EngagementOutput(serializers.Serializer):
    id = serializers.UUIDField()
    auditor_email = serializers.EmailField()
    auditor_name = serializers.SerializerMethodField()
    purpose = serializers.CharField()
    scope = serializers.ChoiceField(choices=EngagementScope.choices)
    shipment_ids = serializers.ListField(child=serializers.UUIDField())
    dossier_ids = serializers.ListField(child=serializers.UUIDField())
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(help_text="Exclusive: access ends at this instant.")
    status = serializers.CharField()
    granted_by = serializers.CharField(source="granted_by_label")
    accepted_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_auditor_name(self, engagement) -> str:
        return engagement.auditor.full_name if engagement.auditor_id else ""


class EngagementListApi(ListAPIView):
    """GET: every engagement of the organisation. POST: grant an auditor access (e-mails them)."""

    required_permissions = {"GET": Perm.ENGAGEMENT_MANAGE, "POST": Perm.ENGAGEMENT_MANAGE}
    pagination_class = CursorPagination

    class InputSerializer(serializers.Serializer):
        auditor_email = serializers.EmailField()
        purpose = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
        scope = serializers.ChoiceField(choices=EngagementScope.choices)
        shipment_ids = serializers.ListField(child=serializers.UUIDField(), required=False, default=list)
        dossier_ids = serializers.ListField(child=serializers.UUIDField(), required=False, default=list)
        start_date = serializers.DateField()
        end_date = serializers.DateField(help_text="Included: access ends at the end of this day (UTC).")

    class OutputSerializer(EngagementOutput):
        pass

    serializer_class = OutputSerializer

    def get_queryset(self):
        return engagement_selectors.engagement_list(organisation=_organisation(self.request))

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer}, operation_id="engagements_create")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        starts_at, ends_at = window_from_dates(values["start_date"], values["end_date"])
        engagement = engagement_services.engagement_grant(
            access=_access(request), organisation=_organisation(request), auditor_email=values["auditor_email"],
            scope=values["scope"], starts_at=starts_at, ends_at=ends_at, shipment_ids=values["shipment_ids"],
            dossier_ids=values["dossier_ids"], purpose=values["purpose"])
        return Response(self.OutputSerializer(engagement).data, status=status.HTTP_201_CREATED)


def _engagement(request, engagement_id):
    engagement = engagement_selectors.engagement_get(organisation=_organisation(request), engagement_id=engagement_id)
    if engagement is None:
        raise exceptions.NotFound()
    return engagement


class EngagementDetailApi(APIView):
    required_permission = Perm.ENGAGEMENT_MANAGE

    class OutputSerializer(EngagementOutput):
        pass

    @extend_schema(responses=OutputSerializer, operation_id="engagements_retrieve")
    def get(self, request, engagement_id):
        return Response(self.OutputSerializer(_engagement(request, engagement_id)).data)


class EngagementRevokeApi(APIView):
    """Revoke at once: the auditor's next request is refused. Revoking twice changes nothing."""

    required_permission = Perm.ENGAGEMENT_MANAGE

    class OutputSerializer(EngagementOutput):
        pass

    @extend_schema(request=None, responses=OutputSerializer, operation_id="engagements_revoke")
    def post(self, request, engagement_id):
        engagement = engagement_services.engagement_revoke(access=_access(request),
                                                           engagement=_engagement(request, engagement_id))
        return Response(self.OutputSerializer(engagement).data)


class EngagementAccessLogApi(ListAPIView):
    """Every request the auditor made through this engagement, newest first."""

    required_permission = Perm.ENGAGEMENT_MANAGE
    pagination_class = IdCursorPagination

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        at = serializers.DateTimeField()
        method = serializers.CharField()
        path = serializers.CharField()
        view_name = serializers.CharField()
        object_type = serializers.CharField()
        object_id = serializers.CharField()
        status_code = serializers.IntegerField()
        is_download = serializers.BooleanField()

    serializer_class = OutputSerializer

    def get_queryset(self):
        return engagement_selectors.access_log_list(engagement=_engagement(self.request, self.kwargs["engagement_id"]))


# --- findings ----------------------------------------------------------------------------

class MessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    author = serializers.CharField(source="author_label")
    from_auditor = serializers.BooleanField()
    text = serializers.CharField()


class FindingOutput(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    engagement_id = serializers.UUIDField()
    target_kind = serializers.ChoiceField(choices=TargetKind.choices)
    target_id = serializers.CharField()
    target_label = serializers.CharField()
    severity = serializers.ChoiceField(choices=Severity.choices)
    title = serializers.CharField()
    status = serializers.CharField()
    raised_by = serializers.CharField(source="raised_by_label")
    resolved_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class FindingDetailOutput(FindingOutput):
    messages = MessageOutput(many=True)


class FindingListApi(ListAPIView):
    """GET: findings (members: all; an auditor: those of their engagement). POST: an auditor raises one."""

    required_permissions = {"GET": Perm.VIEW, "POST": Perm.FINDING_RAISE}
    pagination_class = CursorPagination

    class InputSerializer(serializers.Serializer):
        target_kind = serializers.ChoiceField(choices=TargetKind.choices)
        target_id = serializers.CharField(max_length=100, help_text="Requirement id, evidence revision or "
                                                                    "shipment UUID.")
        severity = serializers.ChoiceField(choices=Severity.choices)
        title = serializers.CharField(max_length=200)
        text = serializers.CharField(max_length=10_000)

    class OutputSerializer(FindingOutput):
        pass

    class CreatedSerializer(FindingDetailOutput):
        pass

    serializer_class = OutputSerializer

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=["open", "answered", "resolved"])])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return finding_selectors.finding_list(access=_access(self.request),
                                              status=self.request.query_params.get("status", ""))

    @extend_schema(request=InputSerializer, responses={201: CreatedSerializer}, operation_id="findings_create")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding = finding_services.finding_raise(access=_access(request), **data.validated_data)
        finding = finding_selectors.finding_get(access=_access(request), finding_id=finding.pk)
        return Response(self.CreatedSerializer(finding).data, status=status.HTTP_201_CREATED)


def _finding(request, finding_id):
    finding = finding_selectors.finding_get(access=_access(request), finding_id=finding_id)
    if finding is None:
        raise exceptions.NotFound()
    return finding


class FindingDetailApi(APIView):
    required_permission = Perm.VIEW

    class OutputSerializer(FindingDetailOutput):
        pass

    @extend_schema(responses=OutputSerializer, operation_id="findings_retrieve")
    def get(self, request, finding_id):
        return Response(self.OutputSerializer(_finding(request, finding_id)).data)


class _FindingActionApi(APIView):
    service = staticmethod(finding_services.finding_answer)

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=10_000)

    class OutputSerializer(FindingDetailOutput):
        pass

    def post(self, request, finding_id):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding = _finding(request, finding_id)
        type(self).service(access=_access(request), finding=finding, text=data.validated_data.get("text", ""))
        return Response(self.OutputSerializer(_finding(request, finding_id)).data)


class FindingAnswerApi(_FindingActionApi):
    """The organisation answers (staff, compliance managers, owners)."""

    required_permission = Perm.FINDING_ANSWER
    service = staticmethod(finding_services.finding_answer)

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=10_000)

    class OutputSerializer(FindingDetailOutput):
        pass

    @extend_schema(request=InputSerializer, responses=OutputSerializer, operation_id="findings_answer")
    def post(self, request, finding_id):
        return super().post(request, finding_id)


class FindingResolveApi(_FindingActionApi):
    """The organisation resolves the finding, with an optional note."""

    required_permission = Perm.FINDING_ANSWER
    service = staticmethod(finding_services.finding_resolve)

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")

    class OutputSerializer(FindingDetailOutput):
        pass

    @extend_schema(request=InputSerializer, responses=OutputSerializer, operation_id="findings_resolve")
    def post(self, request, finding_id):
        return super().post(request, finding_id)


class FindingReplyApi(_FindingActionApi):
    """The auditor of the finding's engagement replies in the thread."""

    required_permission = Perm.FINDING_RAISE
    service = staticmethod(finding_services.finding_reply)

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=10_000)

    class OutputSerializer(FindingDetailOutput):
        pass

    @extend_schema(request=InputSerializer, responses=OutputSerializer, operation_id="findings_reply")
    def post(self, request, finding_id):
        return super().post(request, finding_id)


class FindingReopenApi(_FindingActionApi):
    """The auditor reopens a resolved finding, saying why."""

    required_permission = Perm.FINDING_RAISE
    service = staticmethod(finding_services.finding_reopen)

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=10_000)

    class OutputSerializer(FindingDetailOutput):
        pass

    @extend_schema(request=InputSerializer, responses=OutputSerializer, operation_id="findings_reopen")
    def post(self, request, finding_id):
        return super().post(request, finding_id)
