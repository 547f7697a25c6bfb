from django.urls import path

from . import views

app_name = "checklists"

urlpatterns = [
    path("checklists/", views.overview, name="overview"),
    path("checklists/settings/", views.protocol_settings, name="settings"),
    path("checklists/notifications/", views.notifications, name="notifications"),
    path("checklists/evaluations/<uuid:evaluation_id>/", views.evaluation_detail, name="evaluation"),
    path("checklists/<slug:kind>/<str:scope_id>/", views.board, name="board"),
    path("checklists/<slug:kind>/<str:scope_id>/evaluate/", views.board_evaluate, name="evaluate"),
    path("checklists/<slug:kind>/<str:scope_id>/history/", views.history, name="history"),
]
