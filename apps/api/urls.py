"""API of an organisation host: /api/v1/..., the OpenAPI schema and interactive docs."""
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .v1 import audits, evidence, exports, organisation

v1 = [
    path("me/", organisation.MeApi.as_view(), name="me"),
    path("organisation/", organisation.OrganisationApi.as_view(), name="organisation"),
    path("members/", organisation.MemberListApi.as_view(), name="members"),
    path("activity/", organisation.ActivityListApi.as_view(), name="activity"),
    path("activity/verify/", organisation.ActivityVerifyApi.as_view(), name="activity-verify"),
    path("engagements/", audits.EngagementListApi.as_view(), name="engagements"),
    path("engagements/<uuid:engagement_id>/", audits.EngagementDetailApi.as_view(), name="engagement"),
    path("engagements/<uuid:engagement_id>/revoke/", audits.EngagementRevokeApi.as_view(), name="engagement-revoke"),
    path("engagements/<uuid:engagement_id>/access-log/", audits.EngagementAccessLogApi.as_view(),
         name="engagement-access-log"),
    path("findings/", audits.FindingListApi.as_view(), name="findings"),
    path("findings/<uuid:finding_id>/", audits.FindingDetailApi.as_view(), name="finding"),
    path("findings/<uuid:finding_id>/answer/", audits.FindingAnswerApi.as_view(), name="finding-answer"),
    path("findings/<uuid:finding_id>/resolve/", audits.FindingResolveApi.as_view(), name="finding-resolve"),
    path("findings/<uuid:finding_id>/reply/", audits.FindingReplyApi.as_view(), name="finding-reply"),
    path("findings/<uuid:finding_id>/reopen/", audits.FindingReopenApi.as_view(), name="finding-reopen"),
    *exports.urlpatterns_v1,
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
