"""The register's configurable rules, read from settings (the [U] items of REFERENCE.md live here as data)."""
from django.conf import settings

from .codes import Gbt34014Rules
from .trade_codes import DEFAULT_WASTE_RULES, WasteCodeRules


def gbt_rules() -> Gbt34014Rules:
    config = getattr(settings, "TRACEABILITY_GBT34014", {}) or {}
    return Gbt34014Rules(accept_cascade_form=config.get("accept_cascade_form", True),
                         date_table=config.get("date_table") or None)


def waste_rules() -> WasteCodeRules:
    extra = getattr(settings, "TRACEABILITY_WASTE_CODES", {}) or {}
    if not extra:
        return DEFAULT_WASTE_RULES
    return WasteCodeRules(list_of_waste={**DEFAULT_WASTE_RULES.list_of_waste, **extra})


def passport_hosts() -> tuple[str, ...]:
    return tuple(getattr(settings, "TRACEABILITY_PASSPORT_HOSTS", ()) or ())


def import_max_bytes() -> int:
    return int(getattr(settings, "TRACEABILITY_IMPORT_MAX_BYTES", 256 * 1024 * 1024))


def import_max_rows() -> int:
    return int(getattr(settings, "TRACEABILITY_IMPORT_MAX_ROWS", 2_000_000))


def import_sync_max_rows() -> int:
    """Commits of files with more rows run in the Celery worker, with progress."""
    return int(getattr(settings, "TRACEABILITY_IMPORT_SYNC_MAX_ROWS", 5_000))
