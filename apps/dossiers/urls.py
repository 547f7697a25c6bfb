from django.urls import path

from . import views

app_name = "dossiers"

urlpatterns = [
    path("dossiers/", views.dossier_list, name="list"),
    path("dossiers/<uuid:dossier_id>/", views.dossier_detail, name="detail"),
    path("dossiers/<uuid:dossier_id>/progress/", views.dossier_progress, name="progress"),
    path("dossiers/<uuid:dossier_id>/download/", views.dossier_download, name="download"),
]
