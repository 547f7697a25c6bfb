"""API of an organisation host: /api/v1/..., the OpenAPI schema and interactive docs."""
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .v1 import dossiers, organisation

v1 = [
    path("me/", organisation.MeApi.as_view(), name="me"),
    path("organisation/", organisation.OrganisationApi.as_view(), name="organisation"),
    path("members/", organisation.MemberListApi.as_view(), name="members"),
    path("activity/", organisation.ActivityListApi.as_view(), name="activity"),
    path("activity/verify/", organisation.ActivityVerifyApi.as_view(), name="activity-verify"),
    path("dossiers/", dossiers.DossierListApi.as_view(), name="dossiers"),
    path("dossiers/<uuid:dossier_id>/", dossiers.DossierDetailApi.as_view(), name="dossier"),
    path("dossiers/<uuid:dossier_id>/download/", dossiers.DossierDownloadApi.as_view(), name="dossier-download"),
]

urlpatterns = [
    path("api/v1/", include((v1, "v1"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api:schema", authentication_classes=[],
                                                     permission_classes=[]), name="docs"),
]
