from django.template.response import TemplateResponse
from django.utils import translation
from django_tenants.middleware.main import TenantMainMiddleware

from .hosts import public_url


class OrganisationMiddleware(TenantMainMiddleware):
    """Routes `<slug>.<domain>` to the organisation's schema; an unknown or deactivated
    organisation host gets a friendly not-found page in the visitor's language."""

    def get_tenant(self, domain_model, hostname):
        tenant = super().get_tenant(domain_model, hostname)
        if not tenant.is_active:
            raise domain_model.DoesNotExist
        return tenant

    def no_tenant_found(self, request, hostname):
        translation.activate(translation.get_language_from_request(request))
        response = TemplateResponse(request, "tenants/unknown_host.html",
                                    {"hostname": hostname, "public_url": public_url("/", request=request)},
                                    status=404)
        return response.render()
