from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apps.api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Api-Key <key>` — a key created by an owner of the organisation."}


class AutoSchema(openapi.AutoSchema):
    """Names components after the enclosing API class, so that every class may keep its nested
    `InputSerializer` / `OutputSerializer` (e.g. `MemberListApi.OutputSerializer` → `MemberListApiOutput`)."""

    def get_serializer_name(self, serializer, direction):
        cls = serializer if isinstance(serializer, type) else serializer.__class__
        return cls.__qualname__.replace(".", "")
