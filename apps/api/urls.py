"""API of an organisation host: /api/v1/..., the OpenAPI schema and interactive docs."""
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .v1 import organisation, traceability

v1 = [
    path("me/", organisation.MeApi.as_view(), name="me"),
    path("organisation/", organisation.OrganisationApi.as_view(), name="organisation"),
    path("members/", organisation.MemberListApi.as_view(), name="members"),
    path("activity/", organisation.ActivityListApi.as_view(), name="activity"),
    path("activity/verify/", organisation.ActivityVerifyApi.as_view(), name="activity-verify"),
    # traceability register
    path("battery-models/", traceability.BatteryModelListApi.as_view(), name="battery-models"),
    path("battery-models/create/", traceability.BatteryModelCreateApi.as_view(), name="battery-models-create"),
    path("battery-models/<uuid:model_id>/", traceability.BatteryModelDetailApi.as_view(), name="battery-model"),
    path("battery-models/<uuid:model_id>/update/", traceability.BatteryModelUpdateApi.as_view(),
         name="battery-model-update"),
    path("units/", traceability.UnitListApi.as_view(), name="units"),
    path("units/create/", traceability.UnitCreateApi.as_view(), name="units-create"),
    path("units/<uuid:unit_id>/", traceability.UnitDetailApi.as_view(), name="unit"),
    path("units/<uuid:unit_id>/update/", traceability.UnitUpdateApi.as_view(), name="unit-update"),
    path("units/<uuid:unit_id>/recode/", traceability.UnitRecodeApi.as_view(), name="unit-recode"),
    path("units/<uuid:unit_id>/status/", traceability.UnitStatusApi.as_view(), name="unit-status"),
    path("shipments/", traceability.ShipmentListApi.as_view(), name="shipments"),
    path("shipments/create/", traceability.ShipmentCreateApi.as_view(), name="shipments-create"),
    path("shipments/<uuid:shipment_id>/", traceability.ShipmentDetailApi.as_view(), name="shipment"),
    path("shipments/<uuid:shipment_id>/units/", traceability.ShipmentUnitListApi.as_view(), name="shipment-units"),
    path("shipments/<uuid:shipment_id>/update/", traceability.ShipmentUpdateApi.as_view(), name="shipment-update"),
    path("shipments/<uuid:shipment_id>/status/", traceability.ShipmentStatusApi.as_view(), name="shipment-status"),
    path("lots/", traceability.LotListApi.as_view(), name="lots"),
    path("lots/create/", traceability.LotCreateApi.as_view(), name="lots-create"),
    path("lots/<uuid:lot_id>/", traceability.LotDetailApi.as_view(), name="lot"),
    path("lots/<uuid:lot_id>/update/", traceability.LotUpdateApi.as_view(), name="lot-update"),
    path("imports/", traceability.ImportDryRunApi.as_view(), name="imports"),
    path("imports/<uuid:batch_id>/", traceability.ImportDetailApi.as_view(), name="import"),
    path("imports/<uuid:batch_id>/commit/", traceability.ImportCommitApi.as_view(), name="import-commit"),
]

urlpatterns = [
    path("api/v1/", include((v1, "v1"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api:schema", authentication_classes=[],
                                                     permission_classes=[]), name="docs"),
]
