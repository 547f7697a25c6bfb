"""API of an organisation host: /api/v1/..., the OpenAPI schema and interactive docs."""
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .v1 import custody, organisation

v1 = [
    path("me/", organisation.MeApi.as_view(), name="me"),
    path("organisation/", organisation.OrganisationApi.as_view(), name="organisation"),
    path("members/", organisation.MemberListApi.as_view(), name="members"),
    path("activity/", organisation.ActivityListApi.as_view(), name="activity"),
    path("activity/verify/", organisation.ActivityVerifyApi.as_view(), name="activity-verify"),
    path("custody/transfers/", custody.TransferListApi.as_view(), name="custody-transfers"),
    path("custody/transfers/dispatch/", custody.DispatchApi.as_view(), name="custody-dispatch"),
    path("custody/transfers/<uuid:transfer_id>/", custody.TransferDetailApi.as_view(), name="custody-transfer"),
    path("custody/transfers/<uuid:transfer_id>/ledger/", custody.TransferLedgerApi.as_view(), name="custody-ledger"),
    path("custody/transfers/<uuid:transfer_id>/verify/", custody.TransferVerifyApi.as_view(), name="custody-verify"),
    path("custody/transfers/<uuid:transfer_id>/receipt/", custody.ReceiptConfirmApi.as_view(), name="custody-receipt"),
    path("custody/transfers/<uuid:transfer_id>/dispute/", custody.DisputeApi.as_view(), name="custody-dispute"),
    path("custody/transfers/<uuid:transfer_id>/paper-receipt/", custody.PaperReceiptApi.as_view(),
         name="custody-paper-receipt"),
    path("custody/transfers/<uuid:transfer_id>/processing/", custody.ProcessingApi.as_view(),
         name="custody-processing"),
    path("custody/transfers/<uuid:transfer_id>/certificate/", custody.CertificateApi.as_view(),
         name="custody-certificate"),
    path("custody/discrepancies/<uuid:discrepancy_id>/comments/", custody.DiscrepancyCommentApi.as_view(),
         name="custody-discrepancy-comment"),
    path("custody/discrepancies/<uuid:discrepancy_id>/resolve/", custody.DiscrepancyResolveApi.as_view(),
         name="custody-discrepancy-resolve"),
    path("custody/ledger/verify/", custody.LedgerVerifyApi.as_view(), name="custody-ledger-verify"),
    path("custody/recyclers/", custody.RecyclerListApi.as_view(), name="custody-recyclers"),
    path("custody/recyclers/invite/", custody.RecyclerInviteApi.as_view(), name="custody-recycler-invite"),
]

urlpatterns = [
    path("api/v1/", include((v1, "v1"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api:schema", authentication_classes=[],
                                                     permission_classes=[]), name="docs"),
]
