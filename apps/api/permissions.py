from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions

from apps.accounts.roles import Perm


class IsOrganisationMember(permissions.BasePermission):
    """Anonymous: 401/403. Signed in but no access to this organisation: 404 (as if missing).
    Views declare `required_permission` (default: view) or a per-method mapping."""

    message = _("Your role in this organisation does not allow this.")

    def has_permission(self, request, view):
        if getattr(request._request, "organisation", None) is None:
            raise exceptions.NotFound()
        if not (request.user and request.user.is_authenticated):
            return False
        access = getattr(request._request, "access", None)
        if access is None:
            raise exceptions.NotFound()
        return access.can(required_permission(view, request.method))


def required_permission(view, method: str) -> Perm:
    by_method = getattr(view, "required_permissions", None)
    if by_method and method in by_method:
        return by_method[method]
    return getattr(view, "required_permission", Perm.VIEW)
