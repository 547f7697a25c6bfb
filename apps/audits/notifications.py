"""Bilingual e-mails (Chinese first, then English): the recipient's language is not always known,
and the people on either side of an engagement often read different ones."""
from collections.abc import Iterable
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise

LANGUAGES = ("zh-hans", "en")


def send_bilingual(*, subject: str | Promise, template: str, context: dict[str, Any],
                   to: Iterable[str]) -> None:
    """`subject` is a lazy translatable string, formatted with `context` (`%(name)s` placeholders)."""
    recipients = sorted({address for address in to if address})
    if not recipients:
        return
    bodies, subjects = [], []
    for language in LANGUAGES:
        with translation.override(language):
            bodies.append(render_to_string(template, context).strip())
            subjects.append(str(subject) % {key: str(value) for key, value in context.items()})
    message = EmailMultiAlternatives(subject=" / ".join(subjects), body="\n\n---\n\n".join(bodies), to=recipients)
    message.send()
