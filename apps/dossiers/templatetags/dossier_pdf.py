"""Template tags of the dossier PDF: one template, rendered in zh-Hans, en or both side by side.

`mode` in the template context is "en", "zh-hans" or "bilingual". Every value passes through Django's
autoescaping (format_html), so names and titles render as text, never as markup.
"""
from django import template
from django.utils.html import format_html
from django.utils.translation import override

from apps.dossiers.labels import LABELS, STATUS_LABELS
from apps.dossiers.rendering_choices import choice_label

register = template.Library()


def _pair(context, en: str, zh: str, block: bool = False):
    mode = context.get("mode", "en")
    if mode == "en":
        return format_html("{}", en)
    if mode == "zh-hans":
        return format_html("{}", zh or en)
    if block:
        return format_html('<span class="bi"><span class="bi-zh" lang="zh-Hans">{}</span>'
                           '<span class="bi-en" lang="en">{}</span></span>', zh or en, en)
    if zh == en or not zh:
        return format_html("{}", en)
    return format_html('<span lang="zh-Hans">{}</span> <span class="en-aside" lang="en">{}</span>', zh, en)


def _both(lazy, **params) -> tuple[str, str]:
    with override("en"):
        en = str(lazy) % params if params else str(lazy)
    with override("zh-hans"):
        zh = str(lazy) % params if params else str(lazy)
    return en, zh


@register.simple_tag(takes_context=True)
def tr(context, key: str, **params):
    en, zh = _both(LABELS[key], **params)
    return _pair(context, en, zh)


@register.simple_tag(takes_context=True)
def bi(context, en: str, zh: str, block: bool = False):
    """A value held in both languages (reasons, organisation names)."""
    return _pair(context, en or "", zh or "", block=block)


@register.simple_tag(takes_context=True)
def choice(context, kind: str, value: str):
    en, zh = choice_label(kind, value)
    return _pair(context, en, zh)


@register.simple_tag(takes_context=True)
def status(context, value: str):
    lazy = STATUS_LABELS.get(value)
    if lazy is None:
        return format_html("{}", value)
    en, zh = _both(lazy)
    return _pair(context, en, zh)
