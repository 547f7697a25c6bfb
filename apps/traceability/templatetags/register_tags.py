from django import template

from ..trade_codes import format_hs

register = template.Library()


@register.filter
def can(access, permission: str) -> bool:
    """`{% if access|can:"register.edit" %}`"""
    return access is not None and access.can(permission)


@register.filter
def hs(code: str) -> str:
    return format_hs(code or "")
