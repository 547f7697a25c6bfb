from django.conf import settings
from django.utils import translation
from django_tenants.utils import get_public_schema_name

from .access import resolve_access


class UserLanguageMiddleware:
    """A signed-in user's chosen language follows them across hosts (cookies are per host)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if user is not None and user.is_authenticated and not cookie and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class AccessMiddleware:
    """Sets request.organisation (None on the public site) and request.access (None unless the
    signed-in user may act in this organisation)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        is_public = tenant is None or tenant.schema_name == get_public_schema_name()
        request.organisation = None if is_public else tenant
        request.access = None
        if request.organisation is not None and request.user.is_authenticated:
            request.access = resolve_access(user=request.user, organisation=request.organisation)
        return self.get_response(request)
