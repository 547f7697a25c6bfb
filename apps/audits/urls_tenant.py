from django.urls import path

from . import views
from .findings import views as findings

app_name = "audits"

urlpatterns = [
    path("engagements/", views.engagement_list, name="engagements"),
    path("engagements/<uuid:engagement_id>/", views.engagement_detail, name="engagement_detail"),
    path("engagements/<uuid:engagement_id>/revoke/", views.engagement_revoke, name="engagement_revoke"),
    path("hub/", views.hub_redirect, name="hub"),
    path("findings/", findings.finding_list, name="findings"),
    path("findings/new/", findings.finding_new, name="finding_new"),
    path("findings/<uuid:finding_id>/", findings.finding_detail, name="finding_detail"),
    path("findings/<uuid:finding_id>/answer/", findings.finding_answer, name="finding_answer"),
    path("findings/<uuid:finding_id>/resolve/", findings.finding_resolve, name="finding_resolve"),
    path("findings/<uuid:finding_id>/reply/", findings.finding_reply, name="finding_reply"),
    path("findings/<uuid:finding_id>/reopen/", findings.finding_reopen, name="finding_reopen"),
]
