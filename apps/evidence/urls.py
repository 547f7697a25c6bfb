from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    path("evidence/", views.evidence_list, name="list"),
    path("evidence/upload/", views.evidence_upload, name="upload"),
    path("evidence/key-fields/", views.key_fields_partial, name="key_fields"),
    path("evidence/review/", views.review_queue, name="review_queue"),
    path("evidence/<uuid:evidence_id>/", views.evidence_detail, name="detail"),
    path("evidence/<uuid:evidence_id>/revise/", views.evidence_revise, name="revise"),
    path("evidence/revisions/<uuid:revision_id>/accept/", views.revision_accept, name="accept"),
    path("evidence/revisions/<uuid:revision_id>/reject/", views.revision_reject, name="reject"),
    path("evidence/revisions/<uuid:revision_id>/download/", views.revision_download, name="download"),
]
