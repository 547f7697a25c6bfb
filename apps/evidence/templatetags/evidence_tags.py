from django import template

register = template.Library()


@register.filter
def can(access, perm: str) -> bool:
    """`{% if access|can:"evidence.upload" %}`: the request's Access allows `perm` (False without access)."""
    return bool(access is not None and access.can(perm) and not access.is_restricted)
