from django.urls import path

from . import views

app_name = "traceability"

urlpatterns = [
    path("units/", views.unit_list, name="unit_list"),
    path("units/export.csv", views.unit_export, name="unit_export"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<uuid:unit_id>/", views.unit_detail, name="unit_detail"),
    path("units/<uuid:unit_id>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<uuid:unit_id>/recode/", views.unit_recode, name="unit_recode"),
    path("units/<uuid:unit_id>/status/", views.unit_status, name="unit_status"),
    path("shipments/", views.shipment_list, name="shipment_list"),
    path("shipments/new/", views.shipment_create, name="shipment_create"),
    path("shipments/<uuid:shipment_id>/", views.shipment_detail, name="shipment_detail"),
    path("shipments/<uuid:shipment_id>/edit/", views.shipment_edit, name="shipment_edit"),
    path("shipments/<uuid:shipment_id>/status/", views.shipment_status, name="shipment_status"),
    path("lots/", views.lot_list, name="lot_list"),
    path("lots/new/", views.lot_create, name="lot_create"),
    path("lots/<uuid:lot_id>/", views.lot_detail, name="lot_detail"),
    path("lots/<uuid:lot_id>/edit/", views.lot_edit, name="lot_edit"),
    path("models/", views.model_list, name="model_list"),
    path("models/new/", views.model_create, name="model_create"),
    path("models/<uuid:model_id>/", views.model_detail, name="model_detail"),
    path("models/<uuid:model_id>/edit/", views.model_edit, name="model_edit"),
    path("import/", views.import_page, name="import"),
    path("import/template/<slug:kind>.<slug:file_format>", views.import_template, name="import_template"),
    path("import/<uuid:batch_id>/", views.import_detail, name="import_detail"),
    path("import/<uuid:batch_id>/commit/", views.import_commit, name="import_commit"),
    path("import/<uuid:batch_id>/progress/", views.import_progress, name="import_progress"),
    path("import/<uuid:batch_id>/report.csv", views.import_report, name="import_report"),
]
