"""Tenant isolation, for every page and endpoint of an organisation host — including the ones
added later, since the routes are read from the URL configuration itself.

A member (any role, up to owner) of alpha asking beta's host gets 404 for everything, exactly as
for a missing page; alpha's API key is refused on beta; an anonymous visitor gets nothing.
"""
import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from apps.accounts import services
from apps.accounts.roles import Role

# Reachable without access to the organisation, by design (no organisation data behind them).
OPEN_ROUTES = {
    "healthz", "api/schema/", "api/docs/", "accounts/login/", "accounts/handoff/", "accounts/logout/",
    "i18n/setlang/",
}
# fixed values: pytest-xdist needs the same test ids in every worker
CONVERTER_VALUES = {"uuid": lambda: str(uuid.uuid5(uuid.NAMESPACE_URL, "cellpass-missing")), "int": lambda: "1",
                    "slug": lambda: "x", "str": lambda: "x", "path": lambda: "x"}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _concrete(route: str) -> str | None:
    if route.startswith("^") or "(?P" in route:
        return None  # regex routes (format suffixes) repeat a plain route
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: CONVERTER_VALUES[m.group(1) or "str"](), route)


def tenant_paths() -> list[str]:
    routes = sorted(set(_walk(get_resolver("config.urls_tenant").url_patterns)))
    return [path for route in routes if route not in OPEN_ROUTES and (path := _concrete(route))]


def test_every_tenant_route_is_covered():
    paths = tenant_paths()
    assert "/members/" in paths and "/api/v1/me/" in paths and "/activity/" in paths


@pytest.mark.parametrize("path", tenant_paths())
@pytest.mark.parametrize("role", [Role.OWNER, Role.VIEWER])
def test_member_of_another_organisation_gets_not_found(alpha, beta, make_member, client_for, path, role):
    user = make_member(alpha, role)
    client = client_for(user, beta)
    assert client.get(path).status_code == 404
    assert client.post(path, {}).status_code == 404


@pytest.mark.parametrize("path", [p for p in tenant_paths() if p.startswith("/api/")])
def test_api_key_of_another_organisation_is_refused(alpha, beta, member_access, client_for, path):
    owner, access = member_access(alpha, Role.OWNER)
    _key, plaintext = services.apikey_create(access=access, organisation=alpha, name="ERP",
                                             role=Role.COMPLIANCE_MANAGER, creator=owner)
    client = client_for(None, beta, HTTP_AUTHORIZATION=f"Api-Key {plaintext}")
    response = client.get(path)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert client_for(None, alpha, HTTP_AUTHORIZATION=f"Api-Key {plaintext}").get("/api/v1/me/").status_code == 200


@pytest.mark.parametrize("path", tenant_paths())
def test_anonymous_visitor_gets_no_data(beta, client_for, path):
    response = client_for(None, beta).get(path)
    if path.startswith("/api/"):
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("http://localhost/accounts/login/")
