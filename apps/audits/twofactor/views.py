"""The TOTP step of signing in (public site), enrolment, and recovery codes.

Sign-in: password (apps.accounts) → `sign_in_second_factor` (settings.SIGN_IN_SECOND_FACTOR)
sends users who have a device, or must have one, here → verified with django-otp → the sign-in
continues (the organisation handoff carries the verification to the organisation host).
Wrong codes count as failed sign-ins for django-axes, under their own key so that a correct
password does not reset them.
"""
from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from apps.accounts.views import continue_sign_in
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error

from ..access import otp_verified
from ..selectors import user_is_auditor
from . import services
from .forms import CodeForm, SetupCodeForm


def sign_in_second_factor(request, next_url: str) -> str | None:
    """Called right after the password was accepted: the URL of the TOTP step, or None."""
    user = request.user
    has_device = services.otp_has_device(user)
    if not has_device and not services.otp_required(user):
        return None
    request.session[services.PENDING_SESSION_KEY] = True
    return _step_url("audits:two_factor_verify" if has_device else "audits:two_factor_setup", next_url)


def _step_url(name: str, next_url: str) -> str:
    url = reverse(name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _next(request) -> str:
    return request.POST.get("next") or request.GET.get("next", "")


def _login_redirect(request):
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")


def finish_sign_in(request, next_url: str = ""):
    """After the second factor: auditors land on their hub, everyone else continues as usual."""
    request.session.pop(services.PENDING_SESSION_KEY, None)
    if not next_url and user_is_auditor(user=request.user):
        return redirect("audits:hub")
    return continue_sign_in(request, next_url)


def _axes_credentials(user) -> dict:
    # Own key: a correct password resets the password failures, never the TOTP ones.
    return {"username": f"totp:{user.email}"}


def _locked(request):
    logout(request)
    request.axes_locked_out = False  # our own page, not axes' password lockout page
    return render(request, "audits/two_factor_locked.html", status=429)


def two_factor_verify(request):
    if not request.user.is_authenticated:
        return _login_redirect(request)
    next_url = _next(request)
    if otp_verified(request.user):
        return finish_sign_in(request, next_url)
    if not services.otp_has_device(request.user):
        return redirect(_step_url("audits:two_factor_setup", next_url))
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        credentials = _axes_credentials(request.user)
        if AxesProxyHandler.is_locked(request, credentials):
            return _locked(request)
        device = services.otp_check(user=request.user, code=form.cleaned_data["code"])
        if device is None:
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if getattr(request, "axes_locked_out", False):
                return _locked(request)
            form.add_error("code", services.MSG_CODE_WRONG)
        else:
            otp_login(request, device)
            AxesProxyHandler.reset_attempts(username=credentials["username"])
            if device.persistent_id.startswith("otp_static."):
                left = services.recovery_codes_left(request.user)
                messages.warning(request, _("You used a recovery code; %(left)s are left. Create new ones in "
                                            "your two-factor settings.") % {"left": left})
            return finish_sign_in(request, next_url)
    return render(request, "audits/two_factor_verify.html", {"form": form, "next": next_url},
                  status=400 if form.errors else 200)


def two_factor_setup(request):
    """Enrol an authenticator app (QR code and manual key), or manage the one in use."""
    if not request.user.is_authenticated:
        return _login_redirect(request)
    next_url = _next(request)
    user = request.user
    confirmed = services.totp_device_confirmed(user)
    verified = otp_verified(user)
    if confirmed is not None and not verified:
        # Only a verified session may replace the authenticator.
        return redirect(_step_url("audits:two_factor_verify", next_url))
    replacing = bool(request.GET.get("replace") or request.POST.get("replace"))
    if confirmed is not None and not replacing:
        return render(request, "audits/two_factor_manage.html", {
            "device": confirmed, "recovery_left": services.recovery_codes_left(user),
            "required": services.otp_required(user)})
    device = services.totp_enrolment_device(user)
    form = SetupCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_enrolment_confirm(user=user, device=device, code=form.cleaned_data["code"])
        except ApplicationError as error:
            apply_error(form, error)
        else:
            device.refresh_from_db()
            otp_login(request, device)
            request.session.pop(services.PENDING_SESSION_KEY, None)
            return render(request, "audits/two_factor_recovery_codes.html", {
                "codes": codes, "continue_url": _step_url("audits:two_factor_continue", next_url), "enrolled": True})
    context = {"form": form, "next": next_url, "replacing": replacing, "manual_key": services.totp_manual_key(device),
               "qr_svg": services.totp_qr_svg(device), "required": services.otp_required(user)}
    return render(request, "audits/two_factor_setup.html", context, status=400 if form.errors else 200)


def two_factor_continue(request):
    if not request.user.is_authenticated:
        return _login_redirect(request)
    if not otp_verified(request.user):
        return redirect(_step_url("audits:two_factor_verify", _next(request)))
    return finish_sign_in(request, _next(request))


@require_POST
def recovery_codes(request):
    if not request.user.is_authenticated:
        return _login_redirect(request)
    if not otp_verified(request.user):
        return redirect("audits:two_factor_verify")
    codes = services.recovery_codes_create(user=request.user)
    return render(request, "audits/two_factor_recovery_codes.html",
                  {"codes": codes, "continue_url": reverse("audits:two_factor_setup"), "enrolled": False})
