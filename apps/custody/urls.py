from django.urls import path

from . import views

app_name = "custody"

urlpatterns = [
    path("custody/", views.index, name="index"),
    path("custody/outgoing/", views.outgoing, name="outgoing"),
    path("custody/incoming/", views.incoming, name="incoming"),
    path("custody/dispatch/", views.dispatch, name="dispatch"),
    path("custody/recyclers/invite/", views.recycler_invite, name="recycler_invite"),
    path("custody/transfers/<uuid:transfer_id>/", views.transfer_detail, name="transfer"),
    path("custody/transfers/<uuid:transfer_id>/confirm/", views.transfer_confirm, name="confirm"),
    path("custody/transfers/<uuid:transfer_id>/dispute/", views.transfer_dispute, name="dispute"),
    path("custody/transfers/<uuid:transfer_id>/paper-receipt/", views.transfer_paper_receipt, name="paper_receipt"),
    path("custody/transfers/<uuid:transfer_id>/processing/", views.transfer_processing, name="processing"),
    path("custody/transfers/<uuid:transfer_id>/certificate/", views.transfer_certificate, name="certificate"),
    path("custody/discrepancies/<uuid:discrepancy_id>/comment/", views.discrepancy_comment,
         name="discrepancy_comment"),
    path("custody/discrepancies/<uuid:discrepancy_id>/resolve/", views.discrepancy_resolve,
         name="discrepancy_resolve"),
]
