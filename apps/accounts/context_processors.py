from django.conf import settings
from django.urls import NoReverseMatch, reverse

from apps.core import navigation as nav_registry
from apps.tenants.hosts import public_url

from .selectors import memberships_of


def navigation_context(request) -> dict:
    organisation = getattr(request, "organisation", None)
    access = getattr(request, "access", None)
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    nav = []
    if organisation is not None and access is not None:
        for item in nav_registry.items():
            if not access.can(item.permission):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            nav.append({"key": item.key, "label": item.label, "url": url,
                        "active": request.path == url or (url != "/" and request.path.startswith(url))})
    memberships = list(memberships_of(user=user)) if signed_in else []
    return {
        "current_organisation": organisation,
        "access": access,
        "nav_items": nav,
        "switch_organisations": [m for m in memberships
                                 if organisation is None or m.organisation_id != organisation.pk],
        "public_home_url": public_url("/", request=request),
        "organisations_url": public_url("/organisations/", request=request),
        "available_languages": settings.LANGUAGES,
    }


# settings.TEMPLATES names this `navigation`
navigation = navigation_context
