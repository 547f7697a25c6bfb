"""Sections other capabilities add to the register's detail pages (shipment, lot, unit, battery model) without
the register importing them (they sit above it in the layers). A provider(request, obj) -> dict | None is
registered for a kind in its AppConfig.ready(); a section dict has `template` and its own context under `data`.
Sections show in registration order, between the page's own content and its history."""
from collections.abc import Callable
from typing import Any

KINDS = ("shipment", "lot", "unit", "model")
Provider = Callable[[Any, Any], dict | None]
_PROVIDERS: dict[str, list[Provider]] = {kind: [] for kind in KINDS}


def register_section(kind: str, provider: Provider) -> None:
    if kind not in _PROVIDERS:
        raise ValueError(f"unknown register page {kind!r}; one of {', '.join(KINDS)}")
    if provider not in _PROVIDERS[kind]:
        _PROVIDERS[kind].append(provider)


def sections(kind: str, request, obj) -> list[dict]:
    return [section for provider in _PROVIDERS[kind] if (section := provider(request, obj)) is not None]

