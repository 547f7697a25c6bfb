"""View guards inside an organisation host.

- anonymous: sent to sign in, then back here;
- signed in but without access to this organisation: 404, exactly as for a missing page;
- access without the permission: 403.
"""
from functools import wraps
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect

from apps.tenants.hosts import public_url

from .roles import Perm


def login_redirect(request) -> HttpResponseRedirect:
    query = urlencode({"next": request.build_absolute_uri()})
    return HttpResponseRedirect(public_url(f"/accounts/login/?{query}", request=request))


def check_access(request, perm: Perm):
    """Returns a redirect response for anonymous users, raises for the other refusals."""
    if getattr(request, "organisation", None) is None:
        raise Http404
    if not request.user.is_authenticated:
        return login_redirect(request)
    if request.access is None:
        raise Http404
    if not request.access.can(perm):
        raise PermissionDenied
    return None


def require(perm: Perm = Perm.VIEW):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            refusal = check_access(request, perm)
            if refusal is not None:
                return refusal
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class AccessRequiredMixin:
    """Class-based views: set `permission` (default: view)."""

    permission: Perm = Perm.VIEW

    def dispatch(self, request, *args, **kwargs):
        refusal = check_access(request, self.permission)
        if refusal is not None:
            return refusal
        return super().dispatch(request, *args, **kwargs)
