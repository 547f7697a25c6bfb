from django.urls import path

from . import views
from .twofactor import views as two_factor

app_name = "audits"

urlpatterns = [
    path("accounts/two-factor/", two_factor.two_factor_verify, name="two_factor_verify"),
    path("accounts/two-factor/setup/", two_factor.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/continue/", two_factor.two_factor_continue, name="two_factor_continue"),
    path("accounts/two-factor/recovery-codes/", two_factor.recovery_codes, name="recovery_codes"),
    path("auditor/", views.hub, name="hub"),
    path("auditor/invitations/<str:token>/", views.invitation, name="invitation"),
]
