"""Battery passport export, readiness, traceability-platform reporting (organisation hosts), and
the public passport endpoint (bare host, no authentication; public tier only).

The public endpoints live on the public site but are listed in the organisation API's OpenAPI
schema too (`public_endpoints_hook`), with a `servers` entry naming the public host.
"""
from django.conf import settings
from django.http import Http404, HttpResponse
from django.urls import include, path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.generators import EndpointEnumerator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import Perm
from apps.core.errors import ApplicationError
from apps.exports import digitallink, reporting, selectors, services, tabular, workdays
from apps.exports.bundle import passport_json, passport_zip
from apps.exports.passport import Tier
from apps.exports.reporting import State
from apps.exports.views_public import IDENTIFIER_RE, MSG_IDENTIFIER
from apps.tenants.hosts import public_url
from apps.traceability.models import BatteryUnit, UnitStatus

TIER_PARAMETER = OpenApiParameter(
    "tier", str, enum=[tier.slug for tier in Tier], default="public",
    description="Annex XIII audience: public, legitimate_interest (persons with a legitimate interest, "
                "Commission) or authorities (notified bodies, market surveillance, Commission).")
PASSPORT_DOCUMENT = inline_serializer("PassportDocument", {
    "aspects": serializers.DictField(help_text="Seven Battery Pass v1.2 aspect documents, keyed by aspect name."),
    "provenance": serializers.DictField(help_text="Source of each property (register field or evidence revision "
                                                  "with SHA-256 and review status), what is missing per tier, "
                                                  "refused values."),
})
ZIP_RESPONSE = {(200, "application/zip"): OpenApiTypes.BINARY}
MSG_TIER = _("Unknown access tier: use public, legitimate_interest or authorities.")


def _tier(request) -> Tier:
    tier = Tier.from_slug(request.query_params.get("tier", "public"))
    if tier is None:
        raise ApplicationError(MSG_TIER, code="tier_invalid", field="tier")
    return tier


def _unit(request, unit_id) -> BatteryUnit:
    unit = selectors.unit_get(access=request._request.access, unit_id=unit_id)
    if unit is None:
        raise Http404
    return unit


def _model(request, model_id):
    model = selectors.passport_model_get(model_id=model_id)
    if model is None or request._request.access.is_restricted:
        raise Http404
    return model


def _zip(export, name: str) -> HttpResponse:
    response = HttpResponse(passport_zip(export), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}-{export.tier.slug}.zip"'
    return response


class UnitPassportApi(APIView):
    @extend_schema(parameters=[TIER_PARAMETER], responses=PASSPORT_DOCUMENT, operation_id="passport_unit_export")
    def get(self, request, unit_id):
        export = selectors.passport_export_unit(unit=_unit(request, unit_id), tier=_tier(request))
        return Response(passport_json(export))


class UnitPassportZipApi(APIView):
    @extend_schema(parameters=[TIER_PARAMETER], responses=ZIP_RESPONSE, operation_id="passport_unit_zip")
    def get(self, request, unit_id):
        unit = _unit(request, unit_id)
        return _zip(selectors.passport_export_unit(unit=unit, tier=_tier(request)), f"passport-{unit.code}")


class ModelPassportApi(APIView):
    @extend_schema(parameters=[TIER_PARAMETER], responses=PASSPORT_DOCUMENT, operation_id="passport_model_export")
    def get(self, request, model_id):
        return Response(passport_json(selectors.passport_export_model(model=_model(request, model_id),
                                                                      tier=_tier(request))))


class ModelPassportZipApi(APIView):
    @extend_schema(parameters=[TIER_PARAMETER], responses=ZIP_RESPONSE, operation_id="passport_model_zip")
    def get(self, request, model_id):
        model = _model(request, model_id)
        return _zip(selectors.passport_export_model(model=model, tier=_tier(request)), f"passport-model-{model.code}")


class PassportRecordOutput(serializers.Serializer):
    id = serializers.UUIDField()
    identifier = serializers.CharField()
    unit = serializers.UUIDField(source="unit_id")
    version = serializers.IntegerField()
    status = serializers.CharField()
    is_current = serializers.BooleanField()
    predecessor_identifier = serializers.CharField()
    put_into_service_on = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()


class UnitPassportIssueApi(APIView):
    required_permission = Perm.REGISTER_EDIT

    class InputSerializer(serializers.Serializer):
        put_into_service_on = serializers.DateField(required=False, allow_null=True)

    @extend_schema(request=InputSerializer, responses={201: PassportRecordOutput}, operation_id="passport_issue")
    def post(self, request, unit_id):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        passport = services.passport_issue(access=request._request.access, unit=_unit(request, unit_id),
                                           put_into_service_on=data.validated_data.get("put_into_service_on"))
        return Response(PassportRecordOutput(passport).data, status=201)


class UnitPassportStatusApi(APIView):
    required_permission = Perm.REGISTER_EDIT

    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=UnitStatus.choices)
        new_unit = serializers.UUIDField(required=False, allow_null=True,
                                         help_text="The re-coded cascade-use unit, when the product got a new code.")
        put_into_service_on = serializers.DateField(required=False, allow_null=True)

    @extend_schema(request=InputSerializer, responses=PassportRecordOutput, operation_id="passport_status_change")
    def post(self, request, unit_id):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        unit = _unit(request, unit_id)
        passport = selectors.passport_current(unit=unit)
        if passport is None:
            raise Http404
        new_unit = None
        if data.validated_data.get("new_unit"):
            new_unit = _unit(request, data.validated_data["new_unit"])
        result = services.passport_status_change(
            access=request._request.access, passport=passport, status=data.validated_data["status"],
            new_unit=new_unit, put_into_service_on=data.validated_data.get("put_into_service_on"))
        return Response(PassportRecordOutput(result).data)


class ReadinessOutput(serializers.Serializer):
    category = serializers.CharField()
    mandatory_open = serializers.IntegerField()
    is_ready = serializers.BooleanField()
    attributes = inline_serializer("ReadinessAttribute", {
        "key": serializers.CharField(), "label": serializers.CharField(), "tier": serializers.CharField(),
        "mandatory": serializers.BooleanField(), "present": serializers.BooleanField(),
        "evidenced": serializers.BooleanField(), "accepted": serializers.BooleanField(),
        "state": serializers.CharField(), "source": serializers.CharField(),
        "needs": serializers.ListField(child=serializers.CharField()), "message": serializers.CharField()},
        many=True)


def _readiness(result) -> dict:
    return {"category": result.category, "mandatory_open": result.mandatory_open, "is_ready": result.is_ready,
            "attributes": [{"key": a.key, "label": a.label, "tier": a.tier.slug, "mandatory": a.mandatory,
                            "present": a.present, "evidenced": a.evidenced, "accepted": a.accepted, "state": a.state,
                            "source": a.source, "needs": list(a.needs), "message": a.message}
                           for a in result.attributes]}


class UnitReadinessApi(APIView):
    @extend_schema(responses=ReadinessOutput, operation_id="passport_unit_readiness")
    def get(self, request, unit_id):
        return Response(_readiness(selectors.readiness_for_unit(unit=_unit(request, unit_id))))


class ModelReadinessApi(APIView):
    @extend_schema(responses=ReadinessOutput, operation_id="passport_model_readiness")
    def get(self, request, model_id):
        return Response(_readiness(selectors.readiness_for_model(model=_model(request, model_id))))


# --- reporting ----------------------------------------------------------------------------------------

class ReportingEventOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    occurred_on = serializers.DateField()
    deadline = serializers.DateField()
    deadline_provisional = serializers.BooleanField()
    state = serializers.SerializerMethodField()
    source_type = serializers.CharField()
    source_id = serializers.UUIDField()
    source_reference = serializers.CharField()
    counterparty = serializers.CharField()
    mass_kg = serializers.DecimalField(max_digits=14, decimal_places=3, allow_null=True)
    unit_codes = serializers.ListField(child=serializers.CharField())
    original_codes = serializers.ListField(child=serializers.CharField())
    platform_reference = serializers.CharField()
    reported_on = serializers.DateField(allow_null=True)

    def get_state(self, event) -> str:
        return reporting.state_of(selectors.event_facts(event), self.context["today"])


class ReportingEventListApi(ListAPIView):
    serializer_class = ReportingEventOutput

    @extend_schema(parameters=[OpenApiParameter("state", str, enum=[State.DUE, State.OVERDUE, State.REPORTED])],
                   operation_id="reporting_event_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def get_queryset(self):
        return selectors.reporting_event_list(access=self.request._request.access,
                                              state=self.request.query_params.get("state", ""))


class ReportingSummaryApi(APIView):
    @extend_schema(responses=inline_serializer("ReportingSummary", {
        "today": serializers.DateField(), "due": serializers.IntegerField(), "overdue": serializers.IntegerField(),
        "reported": serializers.IntegerField(), "calendar": serializers.CharField(),
        "calendar_first_year": serializers.IntegerField(), "calendar_last_year": serializers.IntegerField(),
        "provisional_deadlines": serializers.IntegerField(),
        "requirement_failures": serializers.ListField(child=serializers.CharField())}),
        operation_id="reporting_summary")
    def get(self, request):
        today = timezone.localdate()
        board = selectors.reporting_board(access=request._request.access, today=today)
        coverage = workdays.coverage()
        events = [event for group in board.values() for event in group]
        failures = reporting.reporting_requirement_failed([selectors.event_facts(e) for e in events], today)
        return Response({"today": today, "due": len(board[State.DUE]), "overdue": len(board[State.OVERDUE]),
                         "reported": len(board[State.REPORTED]), "calendar": coverage.label,
                         "calendar_first_year": coverage.first_year, "calendar_last_year": coverage.last_year,
                         "provisional_deadlines": sum(1 for e in events if e.deadline_provisional),
                         "requirement_failures": [failure.message for failure in failures]})


class ReportingSyncApi(APIView):
    required_permission = Perm.REGISTER_EDIT

    @extend_schema(request=None, responses=inline_serializer("ReportingSync", {
        "created": serializers.IntegerField(), "deadlines_recounted": serializers.IntegerField()}),
        operation_id="reporting_sync")
    def post(self, request):
        return Response(services.reporting_events_sync(actor=request._request.access.actor,
                                                       organisation=request._request.organisation))


class ReportingSubmissionApi(APIView):
    required_permission = Perm.REGISTER_EDIT

    class InputSerializer(serializers.Serializer):
        platform_reference = serializers.CharField(max_length=200, allow_blank=True)
        reported_on = serializers.DateField()

    @extend_schema(request=InputSerializer, responses=ReportingEventOutput, operation_id="reporting_submission")
    def post(self, request, event_id):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = selectors.reporting_event_get(access=request._request.access, event_id=event_id)
        if event is None:
            raise Http404
        event = services.reporting_event_submit(access=request._request.access, event=event, **data.validated_data)
        return Response(ReportingEventOutput(event, context={"today": timezone.localdate()}).data)


class ReportingExportApi(APIView):
    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY,
                              (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
                                  OpenApiTypes.BINARY},
                   description="Pending events in the platform-upload column layout (configurable: the official "
                               "format is not published). One row per battery code; formula-like cells escaped.",
                   operation_id="reporting_export")
    def get(self, request, kind: str):
        if kind not in ("csv", "xlsx"):
            raise Http404
        columns = reporting.check_columns(settings.CELLPASS_PLATFORM_EXPORT_COLUMNS)
        events = [selectors.upload_event(event) for event in selectors.reporting_event_list(
            access=request._request.access, state="") if not event.platform_reference]
        header, rows = reporting.header(columns), reporting.upload_rows(events, columns)
        if kind == "csv":
            response = HttpResponse(tabular.to_csv(header, rows), content_type="text/csv; charset=utf-8")
        else:
            notes = [gettext("The platform's official upload format is not published; these columns are a "
                             "configurable layout (setting CELLPASS_PLATFORM_EXPORT_COLUMNS).")]
            response = HttpResponse(tabular.to_xlsx(header, rows, sheet_title=gettext("Pending events"), notes=notes),
                                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="traceability-platform-pending.{kind}"'
        return response


urlpatterns_v1 = [
    path("passports/units/<uuid:unit_id>/", UnitPassportApi.as_view(), name="passport-unit"),
    path("passports/units/<uuid:unit_id>/zip/", UnitPassportZipApi.as_view(), name="passport-unit-zip"),
    path("passports/units/<uuid:unit_id>/issue/", UnitPassportIssueApi.as_view(), name="passport-unit-issue"),
    path("passports/units/<uuid:unit_id>/status/", UnitPassportStatusApi.as_view(), name="passport-unit-status"),
    path("passports/units/<uuid:unit_id>/readiness/", UnitReadinessApi.as_view(), name="passport-unit-readiness"),
    path("passports/models/<uuid:model_id>/", ModelPassportApi.as_view(), name="passport-model"),
    path("passports/models/<uuid:model_id>/zip/", ModelPassportZipApi.as_view(), name="passport-model-zip"),
    path("passports/models/<uuid:model_id>/readiness/", ModelReadinessApi.as_view(),
         name="passport-model-readiness"),
    path("reporting/events/", ReportingEventListApi.as_view(), name="reporting-events"),
    path("reporting/events/<uuid:event_id>/submission/", ReportingSubmissionApi.as_view(),
         name="reporting-submission"),
    path("reporting/summary/", ReportingSummaryApi.as_view(), name="reporting-summary"),
    path("reporting/sync/", ReportingSyncApi.as_view(), name="reporting-sync"),
    path("reporting/export/<str:kind>/", ReportingExportApi.as_view(), name="reporting-export"),
]


# --- public passport endpoint (bare host) --------------------------------------------------------------

class _PublicPassport(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @staticmethod
    def respond(entry) -> Response:
        result = selectors.public_passport(entry=entry) if entry is not None else None
        if result is None:
            raise Http404
        body = passport_json(result[2])
        body["provenance"]["current"] = entry.is_current
        body["provenance"]["successorPassport"] = entry.successor_identifier or None
        return Response(body)


class PublicPassportApi(_PublicPassport):
    """The public tier (Annex XIII point 1) of a battery passport by its identifier. Unknown
    identifiers and batteries without a passport: 404."""

    @extend_schema(responses={200: PASSPORT_DOCUMENT}, auth=[], operation_id="public_passport", tags=["public"])
    def get(self, request, identifier: str):
        if not IDENTIFIER_RE.match(identifier):
            raise ApplicationError(MSG_IDENTIFIER, code="identifier_format")
        return self.respond(selectors.index_entry_by_identifier(identifier=identifier))


class PublicPassportGs1Api(_PublicPassport):
    """The public tier of a battery passport by GS1 Digital Link (GTIN + serial), as scanned from
    the battery's QR code. A GTIN with a wrong check digit: 400; unknown: 404."""

    @extend_schema(responses={200: PASSPORT_DOCUMENT}, auth=[], operation_id="public_passport_gs1", tags=["public"])
    def get(self, request, gtin: str, serial: str):
        try:
            link = digitallink.parse(gtin, serial)
        except digitallink.CodeError as error:
            raise ApplicationError(error.message, code=error.code) from None
        return self.respond(selectors.index_entry_by_gs1(gtin=link.gtin, serial=link.serial))


public_v1 = [
    path("passports/01/<str:gtin>/21/<path:serial>", PublicPassportGs1Api.as_view(), name="passport-gs1"),
    path("passports/<str:identifier>/", PublicPassportApi.as_view(), name="passport"),
]
public_urlpatterns = [path("api/public/v1/", include((public_v1, "public_api"), namespace="public_api"))]


def public_endpoints_hook(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: list the public passport endpoint in the schema too."""
    if not any(path_.startswith("/api/public/") for path_, *_rest in endpoints):
        endpoints = list(endpoints) + EndpointEnumerator(public_urlpatterns).get_api_endpoints()
    return endpoints


def public_servers_hook(result, generator, request, public):
    """drf-spectacular postprocessing hook: the public endpoints are served by the public host."""
    for path_, item in result.get("paths", {}).items():
        if path_.startswith("/api/public/"):
            for operation in item.values():
                operation["servers"] = [{"url": public_url("/").rstrip("/"), "description": "public site"}]
    return result

