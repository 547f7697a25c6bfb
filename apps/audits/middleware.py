"""Second-factor enforcement and the auditors' access log (both after AccessMiddleware)."""
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.tenants.hosts import public_url

from .access import otp_verified
from .selectors import engagement_in_force
from .services import access_log_record
from .twofactor.services import PENDING_SESSION_KEY

# While the password is done but the TOTP step is not, the public site serves only these.
PENDING_ALLOWED_PREFIXES = ("/accounts/two-factor/", "/accounts/logout/", "/i18n/setlang/", "/healthz", "/static/")
# On an organisation host, reachable without the second factor (they only open or close sessions).
TENANT_EXEMPT_PREFIXES = ("/accounts/handoff/", "/accounts/logout/", "/accounts/login/", "/i18n/setlang/",
                          "/healthz", "/static/")


def _two_factor_url(next_url: str, request=None) -> str:
    return public_url("/accounts/two-factor/?" + urlencode({"next": next_url}), request=request)


class SecondFactorMiddleware:
    """- public site: a session whose password step is done but not its TOTP step reaches only the
      TOTP pages (and sign-out);
    - organisation host: a member whose role must use TOTP (settings.OTP_REQUIRED_ROLES) and whose
      session is not verified is sent to the TOTP step (API calls get 403 `otp_required`).
    Auditors' access itself requires a verified session; an auditor arriving unverified while an
    engagement is in force is sent to the TOTP step too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self._refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    def _refusal(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if getattr(request, "organisation", None) is None:
            if not request.session.get(PENDING_SESSION_KEY):
                return None
            if otp_verified(user):
                del request.session[PENDING_SESSION_KEY]
                return None
            if request.path.startswith(PENDING_ALLOWED_PREFIXES):
                return None
            return HttpResponseRedirect(reverse("audits:two_factor_verify", urlconf=settings.PUBLIC_SCHEMA_URLCONF)
                                        + "?" + urlencode({"next": request.get_full_path()}))
        access = getattr(request, "access", None)
        if otp_verified(user) or request.path.startswith(TENANT_EXEMPT_PREFIXES):
            return None
        if access is None:
            # An auditor whose session is not verified has no access at all; when an engagement is in
            # force, send them to the TOTP step rather than to a not-found page.
            if engagement_in_force(user=user, organisation=request.organisation) is None:
                return None
        elif access.membership_id is None or access.role not in settings.OTP_REQUIRED_ROLES:
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "otp_required", "fields": {},
                                 "message": _("Your role requires two-factor sign-in. Sign in again in the "
                                              "browser with your authenticator app.")}, status=403)
        return HttpResponseRedirect(_two_factor_url(request.build_absolute_uri(), request=request))


def _object_of(kwargs: dict) -> tuple[str, str]:
    """The object a URL names (`shipment_id=...` → ("shipment", "...")), for the log."""
    for name, value in kwargs.items():
        return (name[:-3] if name.endswith("_id") else name), str(value)
    return "", ""


class EngagementAccessLogMiddleware:
    """Every request made through an auditor engagement (pages, API calls, downloads, refusals)
    is written to the engagement's access log, which the organisation sees."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        access = getattr(request, "access", None)
        if access is not None and access.engagement_id is not None:
            match = getattr(request, "resolver_match", None)
            object_type, object_id = _object_of(match.kwargs if match else {})
            disposition = response.get("Content-Disposition", "")
            access_log_record(
                engagement_id=access.engagement_id, user_id=access.user_id, method=request.method,
                path=request.get_full_path(), view_name=match.view_name if match else "",
                object_type=object_type, object_id=object_id, status_code=response.status_code,
                is_download=bool(getattr(response, "streaming", False) or disposition.startswith("attachment")))
        return response
