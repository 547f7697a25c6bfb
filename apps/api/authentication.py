"""API authentication: per-organisation API keys, or the browser session of a member.

Both set `request.access` (see apps.accounts.access) so that API classes check permissions the
same way pages do. A key of organisation A presented to organisation B is refused (401), and a
signed-in user without access to this organisation gets 404 from the permission class.
"""
from dataclasses import dataclass
from uuid import UUID

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from apps.accounts.access import Access
from apps.accounts.services import apikey_authenticate


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """request.user for calls made with an API key."""

    id: UUID
    name: str
    pk: UUID | None = None
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False
    email: str = ""

    def __str__(self) -> str:
        return f"API key {self.name}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _sep, key = header.partition(" ")
        if keyword.lower() not in ("api-key", "bearer"):
            return None
        key = key.strip()
        organisation = getattr(request._request, "organisation", None)
        if organisation is None or not key:
            raise exceptions.AuthenticationFailed(_("This API key is not valid for this organisation."))
        api_key = apikey_authenticate(plaintext=key, organisation=organisation)
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("This API key is not valid for this organisation."))
        access = Access(organisation_id=organisation.pk, role=api_key.role, label=f"API key {api_key.name}",
                        api_key_id=api_key.pk)
        request._request.access = access
        return ApiKeyPrincipal(id=api_key.pk, pk=None, name=api_key.name), api_key

    def authenticate_header(self, request):
        return self.keyword


class MemberSessionAuthentication(authentication.SessionAuthentication):
    """The browser session (CSRF-checked for unsafe methods), as in the pages."""
