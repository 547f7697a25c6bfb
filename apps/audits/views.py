"""Engagement management (organisation host), the auditor hub and invitations (public site)."""
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.accounts import selectors as account_selectors
from apps.accounts import services as account_services
from apps.accounts.forms import SignUpForm
from apps.accounts.guards import require
from apps.accounts.models import User
from apps.accounts.roles import Perm
from apps.core.errors import ApplicationError
from apps.tenants.hosts import public_url

from . import selectors, services
from .access import otp_verified
from .forms import EngagementGrantForm, window_from_dates
from .twofactor import services as otp_services

# --- organisation host -------------------------------------------------------------------


def _grant(request, form: EngagementGrantForm):
    data = form.cleaned_data
    shipment_ids, missing = selectors.shipment_ids_for_references(references=form.lines(data["shipments"]))
    if missing:
        form.add_error("shipments", _("Unknown shipments: %(items)s") % {"items": ", ".join(missing[:20])})
        return None
    starts_at, ends_at = window_from_dates(data["start_date"], data["end_date"])
    try:
        return services.engagement_grant(
            access=request.access, organisation=request.organisation, auditor_email=data["auditor_email"],
            scope=data["scope"], starts_at=starts_at, ends_at=ends_at, shipment_ids=shipment_ids,
            dossier_ids=form.lines(data["dossier_ids"]), purpose=data["purpose"])
    except ApplicationError as error:
        field = {"start_date": "start_date", "end_date": "end_date", "shipment_ids": "shipments"}.get(
            error.field or "", error.field)
        form.add_error(field if field in form.fields else None, str(error.message))
        return None


@require(Perm.ENGAGEMENT_MANAGE)
@require_http_methods(["GET", "POST"])
def engagement_list(request):
    form = EngagementGrantForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        engagement = _grant(request, form)
        if engagement is not None:
            messages.success(request, _("Access granted; an invitation was sent to %(email)s.")
                             % {"email": engagement.auditor_email})
            return redirect("audits:engagement_detail", engagement_id=engagement.pk)
    engagements = list(selectors.engagement_list(organisation=request.organisation))
    return render(request, "audits/engagement_list.html", {"engagements": engagements, "form": form},
                  status=400 if form.errors else 200)


@require(Perm.ENGAGEMENT_MANAGE)
@require_safe
def engagement_detail(request, engagement_id):
    engagement = selectors.engagement_get(organisation=request.organisation, engagement_id=engagement_id)
    if engagement is None:
        raise Http404
    page = Paginator(selectors.access_log_list(engagement=engagement), 50).get_page(request.GET.get("page"))
    labels = selectors.shipment_labels(organisation=request.organisation, shipment_ids=engagement.shipment_ids)
    shipments = [{"id": pk, "reference": labels.get(pk)} for pk in engagement.shipment_ids]
    return render(request, "audits/engagement_detail.html",
                  {"engagement": engagement, "page_obj": page, "shipments": shipments})


@require(Perm.ENGAGEMENT_MANAGE)
@require_POST
def engagement_revoke(request, engagement_id):
    engagement = selectors.engagement_get(organisation=request.organisation, engagement_id=engagement_id)
    if engagement is None:
        raise Http404
    services.engagement_revoke(access=request.access, engagement=engagement)
    messages.success(request, _("Access revoked: %(email)s can no longer open this organisation.")
                     % {"email": engagement.auditor_email})
    return redirect("audits:engagement_detail", engagement_id=engagement.pk)


@require(Perm.FINDING_RAISE)
@require_safe
def hub_redirect(request):
    """The auditor's way back from an organisation to the hub of all their engagements."""
    return HttpResponseRedirect(public_url(reverse("audits:hub", urlconf="config.urls_public"), request=request))


# --- public site -------------------------------------------------------------------------


def _login_redirect(request):
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")


def _two_factor_redirect(request):
    name = "audits:two_factor_verify" if otp_services.otp_has_device(request.user) else "audits:two_factor_setup"
    return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")


def hub(request):
    """The auditor hub: engagements across organisations (and the user's own organisations)."""
    if not request.user.is_authenticated:
        return _login_redirect(request)
    engagements = selectors.auditor_engagements(user=request.user)
    if engagements and not otp_verified(request.user):
        return _two_factor_redirect(request)
    memberships = list(account_selectors.memberships_of(user=request.user))
    return render(request, "audits/hub.html", {"memberships": memberships, "engagements": engagements})


def invitation(request, token: str):
    """An invited auditor: create an account or sign in, enrol TOTP, accept."""
    engagement = services.engagement_by_token(token=token)
    if engagement is None:
        return render(request, "audits/engagement_invitation_invalid.html", status=404)
    context = {"engagement": engagement}
    if not request.user.is_authenticated:
        if User.objects.filter(email__iexact=engagement.auditor_email).exists():
            return _login_redirect(request)
        form = SignUpForm(request.POST if request.method == "POST" else None, email=engagement.auditor_email)
        if request.method == "POST" and form.is_valid():
            user = account_services.user_create(
                email=engagement.auditor_email, password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"], language=request.LANGUAGE_CODE)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(f"{reverse('audits:two_factor_setup')}?{urlencode({'next': request.path})}")
        context["form"] = form
        return render(request, "audits/engagement_invitation_signup.html", context,
                      status=400 if form.errors else 200)
    if engagement.auditor_email != request.user.email.lower():
        context["other_email"] = True
        return render(request, "audits/engagement_invitation.html", context, status=403)
    if engagement.accepted_at is not None and engagement.auditor_id == request.user.pk:
        return redirect("audits:hub")
    if not otp_verified(request.user):
        return _two_factor_redirect(request)
    if request.method == "POST":
        try:
            services.engagement_accept(engagement=engagement, user=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
            return render(request, "audits/engagement_invitation.html", context, status=400)
        messages.success(request, _("Engagement accepted."))
        return redirect("audits:hub")
    return render(request, "audits/engagement_invitation.html", context)
