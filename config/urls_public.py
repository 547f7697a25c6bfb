"""URLs of the public site (the bare CELLPASS_DOMAIN): sign-in, organisation picker, invitations."""
from django.urls import include, path

from apps.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("apps.accounts.urls_public")),
    path("", include("apps.dossiers.urls_public")),
]
