"""Who am I, which organisation, its members and its activity log."""
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import selectors as account_selectors
from apps.accounts.roles import Perm
from apps.activity.selectors import activity_first_broken_entry, activity_list
from apps.api.pagination import IdCursorPagination


class OrganisationApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        slug = serializers.CharField()
        name_en = serializers.CharField()
        name_zh = serializers.CharField()
        kind = serializers.CharField()
        country = serializers.CharField()
        uscc = serializers.CharField()
        eori = serializers.CharField()
        vat = serializers.CharField()

    @extend_schema(responses=OutputSerializer, operation_id="organisation_retrieve")
    def get(self, request):
        return Response(self.OutputSerializer(request._request.organisation).data)


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        label = serializers.CharField()
        role = serializers.CharField()
        organisation = serializers.UUIDField(source="organisation_id")
        via_api_key = serializers.SerializerMethodField()
        permissions = serializers.SerializerMethodField()

        def get_via_api_key(self, access) -> bool:
            return access.api_key_id is not None

        def get_permissions(self, access) -> list[str]:
            return sorted(p.value for p in Perm if access.can(p))

    @extend_schema(responses=OutputSerializer, operation_id="me_retrieve")
    def get(self, request):
        return Response(self.OutputSerializer(request._request.access).data)


class MemberListApi(ListAPIView):
    required_permission = Perm.MEMBER_VIEW
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        email = serializers.EmailField(source="user.email")
        full_name = serializers.CharField(source="user.full_name")
        role = serializers.CharField()
        created_at = serializers.DateTimeField()

    serializer_class = OutputSerializer

    def get_queryset(self):
        return account_selectors.membership_list(organisation=self.request._request.organisation)


class ActivityListApi(ListAPIView):
    required_permission = Perm.ACTIVITY_VIEW
    pagination_class = IdCursorPagination

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        at = serializers.DateTimeField()
        actor_label = serializers.CharField()
        channel = serializers.CharField()
        verb = serializers.CharField()
        object_type = serializers.CharField()
        object_id = serializers.CharField()
        data = serializers.JSONField()
        prev_hash = serializers.CharField()
        hash = serializers.CharField()

    serializer_class = OutputSerializer

    def get_queryset(self):
        return activity_list(object_type=self.request.query_params.get("object_type", ""),
                             object_id=self.request.query_params.get("object_id", ""))


class ActivityVerifyApi(APIView):
    required_permission = Perm.ACTIVITY_VIEW

    @extend_schema(responses=inline_serializer("ActivityVerification", {
        "intact": serializers.BooleanField(), "first_broken_entry": serializers.IntegerField(allow_null=True)}),
        operation_id="activity_verify")
    def get(self, request):
        first = activity_first_broken_entry()
        return Response({"intact": first is None, "first_broken_entry": first})
