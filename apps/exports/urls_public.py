"""Public passport pages (bare host), reached from a battery's QR code."""
from django.urls import path

from . import views_public

app_name = "passport_public"

urlpatterns = [
    path("01/<str:gtin>/21/<path:serial>", views_public.passport_by_gs1, name="gs1"),
    path("passport/<str:identifier>/", views_public.passport_by_identifier, name="identifier"),
]
