"""Hosts and absolute URLs: the public site at the bare domain, each organisation at a subdomain."""
from typing import Any

from django.conf import settings


def _base(host: str, request: Any = None) -> str:
    if request is not None:
        scheme = request.scheme
        port = request.get_port()
    else:
        scheme, port = settings.CELLPASS_SCHEME, settings.CELLPASS_PORT
    default_port = "443" if scheme == "https" else "80"
    suffix = f":{port}" if port and str(port) != default_port else ""
    return f"{scheme}://{host}{suffix}"


def organisation_host(slug: str) -> str:
    return f"{slug}.{settings.CELLPASS_DOMAIN}"


def public_url(path: str = "/", request: Any = None) -> str:
    return _base(settings.CELLPASS_DOMAIN, request) + path


def organisation_url(organisation: Any, path: str = "/", request: Any = None) -> str:
    return _base(organisation_host(organisation.slug), request) + path
