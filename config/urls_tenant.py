"""URLs of an organisation host (`<slug>.<CELLPASS_DOMAIN>`)."""
from django.urls import include, path

from apps.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("apps.accounts.urls_tenant")),
    path("", include("apps.evidence.urls")),
    path("", include(("apps.api.urls", "api"), namespace="api")),
    path("audits/", include("apps.audits.urls_tenant")),
    path("", include("apps.exports.urls")),
    path("", include("apps.custody.urls")),
    path("", include("apps.checklists.urls")),
    path("register/", include("apps.traceability.urls")),
    path("", include("apps.dossiers.urls")),
]
