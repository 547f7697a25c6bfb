"""Organisation dashboard panels: each app registers a provider(request) -> dict | None in its
AppConfig.ready(). A panel dict has `title`, `template` and its own context under `data`."""
from collections.abc import Callable
from typing import Any

_PROVIDERS: list[Callable[[Any], dict | None]] = []


def register(provider: Callable[[Any], dict | None]) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def providers() -> list[Callable[[Any], dict | None]]:
    return list(_PROVIDERS)
