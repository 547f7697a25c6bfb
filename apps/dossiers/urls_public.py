from django.urls import path

from . import views_public

app_name = "verify"

urlpatterns = [
    path("verify/", views_public.verify, name="verify"),
]
