"""Sign-in, organisation picker and invitations (public site); members, API keys and the
sign-in handoff (organisation hosts). Views parse, call one service or selector, and render."""
from urllib.parse import urlparse

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language
from django_otp import login as otp_login

from apps.activity.selectors import activity_first_broken_entry, activity_list, chain_check_latest
from apps.activity.verbs import label_for
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.tenants.hosts import organisation_url, public_url
from apps.tenants.selectors import organisation_get

from . import selectors, services
from .access import resolve_access
from .forms import ApiKeyForm, InviteForm, RoleForm, SignInForm, SignUpForm
from .guards import login_redirect, require
from .roles import Perm, assignable_roles

# --- public site ------------------------------------------------------------------------


def _organisation_for_next(next_url: str, user) -> tuple[object | None, str]:
    """If `next` points at an organisation host: that organisation (when the user may act there)
    and the path. Raises 404 when the user has no access there, as the host itself would."""
    parsed = urlparse(next_url or "")
    host = (parsed.hostname or "").lower()
    suffix = "." + settings.CELLPASS_DOMAIN
    if not host.endswith(suffix):
        return None, "/"
    organisation = organisation_get(slug=host[: -len(suffix)])
    if organisation is None or resolve_access(user=user, organisation=organisation) is None:
        raise Http404
    path = parsed.path or "/"
    if parsed.query:
        path += "?" + parsed.query
    return organisation, path


def _open_organisation(request, organisation, next_path: str = "/") -> HttpResponseRedirect:
    # A session verified by a second factor (django-otp) opens a verified session there too.
    token = services.handoff_token_create(user=request.user, organisation=organisation, next_path=next_path,
                                          otp_device=getattr(request.user, "otp_device", None))
    return HttpResponseRedirect(organisation_url(organisation, f"/accounts/handoff/?token={token}", request=request))


def _after_sign_in(request, next_url: str = "") -> HttpResponseRedirect:
    organisation, path = _organisation_for_next(next_url, request.user)
    if organisation is not None:
        return _open_organisation(request, organisation, path)
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(next_url)
    memberships = list(selectors.memberships_of(user=request.user))
    if len(memberships) == 1:
        return _open_organisation(request, memberships[0].organisation)
    return redirect("accounts:organisations")


# Sign-in steps after the password (the TOTP second factor) finish by calling this.
continue_sign_in = _after_sign_in


def _second_factor_step(request, next_url: str) -> str | None:
    """settings.SIGN_IN_SECOND_FACTOR: dotted path of `(request, next_url) -> url | None`, the step
    that must follow the password (None: sign-in is complete)."""
    hook = getattr(settings, "SIGN_IN_SECOND_FACTOR", "")
    return import_string(hook)(request, next_url) if hook else None


def landing(request):
    if request.user.is_authenticated:
        return redirect("accounts:organisations")
    return render(request, "accounts/landing.html")


def sign_in(request):
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.user.is_authenticated and request.method == "GET":
        return _after_sign_in(request, next_url)
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, username=form.cleaned_data["username"].lower(),
                            password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return render(request, "accounts/locked_out.html", status=429)
        if user is None:
            form.add_error(None, _("E-mail address or password is wrong."))
        else:
            login(request, user)
            if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:  # chosen on this page: remember it
                services.user_set_language(user=user, language=request.LANGUAGE_CODE)
            step = _second_factor_step(request, next_url)
            if step:
                return HttpResponseRedirect(step)
            return _after_sign_in(request, next_url)
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@require_POST
def sign_out(request):
    if request.user.is_authenticated:
        services.user_sign_out_everywhere(user=request.user)
    logout(request)
    messages.info(request, _("You have signed out."))
    return HttpResponseRedirect(public_url("/accounts/login/", request=request))


def organisations(request):
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.get_full_path()}")
    memberships = list(selectors.memberships_of(user=request.user))
    return render(request, "accounts/organisations.html", {"memberships": memberships})


def organisation_open(request, slug: str):
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.get_full_path()}")
    organisation = organisation_get(slug=slug)
    if organisation is None or resolve_access(user=request.user, organisation=organisation) is None:
        raise Http404
    return _open_organisation(request, organisation)


def invitation_accept(request, token: str):
    invitation = services.invitation_by_token(token=token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    from .models import User

    existing = User.objects.filter(email__iexact=invitation.email).first()
    context = {"invitation": invitation, "existing": existing}
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                membership = services.invitation_accept(token=token, user=request.user)
            except ApplicationError as error:
                messages.error(request, error.message)
                return render(request, "accounts/invitation.html", context, status=400)
            return _open_organisation(request, membership.organisation)
        return render(request, "accounts/invitation.html", context)
    if existing is not None:
        return redirect(f"{reverse('accounts:login')}?next={request.get_full_path()}")
    form = SignUpForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        user = services.user_create(email=invitation.email, password=form.cleaned_data["password1"],
                                    full_name=form.cleaned_data["full_name"], language=request.LANGUAGE_CODE)
        membership = services.invitation_accept(token=token, user=user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return _open_organisation(request, membership.organisation)
    context["form"] = form
    return render(request, "accounts/invitation_signup.html", context)


@require_POST
def language_set(request):
    """Django's set_language, plus remembering the choice on the user (so it follows them across hosts)."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated:
        services.user_set_language(user=request.user, language=language)
    return set_language(request)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "emails/password_reset.txt"
    subject_template_name = "emails/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# --- organisation hosts -----------------------------------------------------------------

def tenant_sign_in(request):
    return login_redirect(request) if not request.user.is_authenticated else redirect("/")


def handoff(request):
    if request.organisation is None:
        raise Http404
    try:
        user, next_path, otp_device = services.handoff_token_redeem(token=request.GET.get("token", ""),
                                                                    organisation=request.organisation)
    except ApplicationError as error:
        messages.error(request, error.message)
        return login_redirect(request)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if otp_device is not None:
        otp_login(request, otp_device)
    if not url_has_allowed_host_and_scheme(next_path, allowed_hosts={request.get_host()}):
        next_path = "/"
    return HttpResponseRedirect(next_path)


@require(Perm.MEMBER_VIEW)
def members(request):
    access = request.access
    can_manage = access.can(Perm.MEMBER_MANAGE)
    roles = assignable_roles(access.role) if can_manage else ()
    form = InviteForm(request.POST or None, roles=roles)
    if request.method == "POST":
        if not can_manage:
            raise Http404
        if form.is_valid():
            try:
                services.invitation_create(access=access, organisation=request.organisation,
                                           email=form.cleaned_data["email"], role=form.cleaned_data["role"],
                                           inviter=request.user)
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
                return redirect("accounts:members")
    context = {
        "memberships": list(selectors.membership_list(organisation=request.organisation)),
        "invitations": list(selectors.invitation_pending_list(organisation=request.organisation))
        if can_manage else [],
        "form": form,
        "can_manage": can_manage,
        "assignable": roles,
    }
    return render(request, "accounts/members.html", context, status=400 if form.errors else 200)


@require(Perm.MEMBER_MANAGE)
@require_POST
def member_role(request, membership_id):
    membership = selectors.membership_get(organisation=request.organisation, membership_id=membership_id)
    if membership is None:
        raise Http404
    form = RoleForm(request.POST, roles=assignable_roles(request.access.role))
    if not form.is_valid():
        messages.error(request, _("Choose a role you may grant."))
        return redirect("accounts:members")
    try:
        services.membership_change_role(access=request.access, membership=membership, role=form.cleaned_data["role"])
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Role changed."))
    return redirect("accounts:members")


@require(Perm.MEMBER_MANAGE)
@require_POST
def member_remove(request, membership_id):
    membership = selectors.membership_get(organisation=request.organisation, membership_id=membership_id)
    if membership is None:
        raise Http404
    try:
        services.membership_remove(access=request.access, membership=membership)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Member removed."))
    return redirect("accounts:members")


@require(Perm.MEMBER_MANAGE)
@require_POST
def invitation_revoke(request, invitation_id):
    invitation = selectors.invitation_get(organisation=request.organisation, invitation_id=invitation_id)
    if invitation is None:
        raise Http404
    services.invitation_revoke(access=request.access, invitation=invitation)
    messages.success(request, _("Invitation revoked."))
    return redirect("accounts:members")


@require(Perm.APIKEY_MANAGE)
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    created_plaintext = None
    if request.method == "POST" and form.is_valid():
        try:
            _key, created_plaintext = services.apikey_create(
                access=request.access, organisation=request.organisation, name=form.cleaned_data["name"],
                role=form.cleaned_data["role"], creator=request.user)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            form = ApiKeyForm()
    keys = list(selectors.apikey_list(organisation=request.organisation))
    return render(request, "accounts/api_keys.html",
                  {"form": form, "keys": keys, "created_plaintext": created_plaintext},
                  status=400 if form.errors else 200)


@require(Perm.APIKEY_MANAGE)
@require_POST
def api_key_revoke(request, key_id):
    key = selectors.apikey_get(organisation=request.organisation, key_id=key_id)
    if key is None:
        raise Http404
    services.apikey_revoke(access=request.access, key=key)
    messages.success(request, _("API key revoked."))
    return redirect("accounts:api_keys")


@require(Perm.VIEW)
def dashboard(request):
    """The organisation's home: panels contributed by each capability (apps.core.dashboard)."""
    from apps.core import dashboard as panels

    return render(request, "accounts/dashboard.html",
                  {"panels": [panel for provider in panels.providers() if (panel := provider(request))]})


@require(Perm.ACTIVITY_VIEW)
def activity_log(request):
    page = Paginator(activity_list(), 50).get_page(request.GET.get("page"))
    entries = [{"entry": e, "label": label_for(e.verb)} for e in page.object_list]
    context = {"page_obj": page, "entries": entries, "last_check": chain_check_latest()}
    if request.GET.get("verify"):
        context["verified"] = True
        context["first_broken"] = activity_first_broken_entry()
    return render(request, "activity/activity_list.html", context)
