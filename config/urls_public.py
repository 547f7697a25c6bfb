"""URLs of the public site (the bare CELLPASS_DOMAIN): sign-in, organisation picker, invitations."""
from django.urls import include, path

from apps.api.v1 import exports as exports_api
from apps.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("apps.accounts.urls_public")),
    path("", include("apps.audits.urls_public")),
    path("", include([*exports_api.public_urlpatterns, path("", include("apps.exports.urls_public"))])),
    path("", include("apps.dossiers.urls_public")),
]
