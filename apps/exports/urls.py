from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("passports/", views.passport_list, name="passports"),
    path("passports/readiness/", views.readiness, name="readiness"),
    path("passports/units/<uuid:unit_id>/", views.unit_passport, name="unit"),
    path("passports/units/<uuid:unit_id>/issue/", views.unit_passport_issue, name="unit_issue"),
    path("passports/units/<uuid:unit_id>/status/", views.unit_passport_status, name="unit_status"),
    path("passports/units/<uuid:unit_id>/passport.json", views.unit_passport_json, name="unit_json"),
    path("passports/units/<uuid:unit_id>/passport.zip", views.unit_passport_zip, name="unit_zip"),
    path("passports/models/<uuid:model_id>/", views.model_passport, name="model"),
    path("passports/models/<uuid:model_id>/passport.json", views.model_passport_json, name="model_json"),
    path("passports/models/<uuid:model_id>/passport.zip", views.model_passport_zip, name="model_zip"),
    path("reporting/", views.reporting_board, name="reporting"),
    path("reporting/sync/", views.reporting_sync, name="reporting_sync"),
    path("reporting/events/<uuid:event_id>/submit/", views.reporting_submit, name="reporting_submit"),
    path("reporting/export.csv", views.reporting_export_csv, name="reporting_csv"),
    path("reporting/export.xlsx", views.reporting_export_xlsx, name="reporting_xlsx"),
]
