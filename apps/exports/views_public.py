"""The public battery passport page (bare host), reached from a battery's QR code: the public tier
of Annex XIII only, in the visitor's language."""
import re

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from . import digitallink, selectors
from .display import sections

IDENTIFIER_RE = re.compile(r"^urn:[a-z0-9]+:[a-z0-9]+$")
MSG_IDENTIFIER = _("A battery passport identifier looks like urn:cellpass:… (lower-case letters and digits).")


def _invalid(request, message, code: str):
    return render(request, "exports/public_passport_invalid.html", {"message": message, "code": code}, status=400)


def _show(request, entry):
    result = selectors.public_passport(entry=entry) if entry is not None else None
    if result is None:
        return render(request, "exports/public_passport_missing.html", status=404)
    organisation, passport, export = result
    successor = entry.successor_identifier if not entry.is_current else ""
    context = {"organisation": organisation, "passport": passport, "export": export, "entry": entry,
               "sections": sections(export), "successor": successor}
    return render(request, "exports/public_passport.html", context)


def passport_by_gs1(request, gtin: str, serial: str):
    try:
        link = digitallink.parse(gtin, serial)
    except digitallink.CodeError as error:
        return _invalid(request, error.message, error.code)
    return _show(request, selectors.index_entry_by_gs1(gtin=link.gtin, serial=link.serial))


def passport_by_identifier(request, identifier: str):
    if not IDENTIFIER_RE.match(identifier):
        return _invalid(request, MSG_IDENTIFIER, "identifier_format")
    return _show(request, selectors.index_entry_by_identifier(identifier=identifier))
