"""API of an organisation host: /api/v1/..., the OpenAPI schema and interactive docs."""
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .v1 import evidence, organisation

v1 = [
    path("me/", organisation.MeApi.as_view(), name="me"),
    path("organisation/", organisation.OrganisationApi.as_view(), name="organisation"),
    path("members/", organisation.MemberListApi.as_view(), name="members"),
    path("activity/", organisation.ActivityListApi.as_view(), name="activity"),
    path("activity/verify/", organisation.ActivityVerifyApi.as_view(), name="activity-verify"),
    path("evidence/", evidence.EvidenceListCreateApi.as_view(), name="evidence"),
    path("evidence/types/", evidence.EvidenceTypesApi.as_view(), name="evidence-types"),
    path("evidence/<uuid:evidence_id>/", evidence.EvidenceDetailApi.as_view(), name="evidence-detail"),
    path("evidence/<uuid:evidence_id>/revisions/", evidence.EvidenceReviseApi.as_view(), name="evidence-revise"),
    path("evidence/revisions/<uuid:revision_id>/download/", evidence.RevisionDownloadApi.as_view(),
         name="evidence-download"),
    path("evidence/revisions/<uuid:revision_id>/accept/", evidence.RevisionAcceptApi.as_view(),
         name="evidence-accept"),
    path("evidence/revisions/<uuid:revision_id>/reject/", evidence.RevisionRejectApi.as_view(),
         name="evidence-reject"),
]

urlpatterns = [
    path("api/v1/", include((v1, "v1"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api:schema", authentication_classes=[],
                                                     permission_classes=[]), name="docs"),
]
