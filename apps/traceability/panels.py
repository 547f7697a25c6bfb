"""Sections other capabilities add to the register's shipment page, without the register importing them
(they sit above it in the layers). A provider(request, shipment) -> dict | None registered in its
AppConfig.ready(); a section dict has `template` and its own context under `data`."""
from collections.abc import Callable
from typing import Any

_SHIPMENT_PROVIDERS: list[Callable[[Any, Any], dict | None]] = []


def register_shipment_section(provider: Callable[[Any, Any], dict | None]) -> None:
    if provider not in _SHIPMENT_PROVIDERS:
        _SHIPMENT_PROVIDERS.append(provider)


def shipment_sections(request, shipment) -> list[dict]:
    return [section for provider in _SHIPMENT_PROVIDERS if (section := provider(request, shipment)) is not None]
