"""URLs of an organisation host (`<slug>.<CELLPASS_DOMAIN>`)."""
from django.urls import include, path

from apps.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("apps.accounts.urls_tenant")),
    path("", include(("apps.api.urls", "api"), namespace="api")),
    path("", include("apps.dossiers.urls")),
]
