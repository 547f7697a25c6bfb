"""Extension points for the apps above checklists in the import order (audits, dossiers, exports).

Checklists may not import those apps (import-linter: core → … → checklists → audits → dossiers →
exports → api), yet their pure rules belong in the checklist library. They plug in from their own
`AppConfig.ready()`, the way they register navigation entries and dashboard panels:

- checks and predicates: the decorators `apps.checklists.checks.base.check` / `predicate` (one
  registry; a check declares the evidence key fields it reads, like ours);
- protocol files: `register_protocol_dir(path)`: versioned YAML files kept beside their checks, loaded
  and validated with ours (same schema, same source keys, same system check);
- facts: `register_facts(scope_kind, name, provider)`: `provider(facts) -> value` runs when a scope's
  facts are built (in its organisation's schema) and its value lands in `facts.extensions[name]`.
  A provider reads the database in a fixed number of queries and returns plain frozen values
  (dataclasses, tuples, mappings, dates, decimals), which enter the inputs digest like every fact.

Nothing here knows the extending apps: a deployment without them simply has fewer protocols.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

FactsProvider = Callable[[Any], Any]

_PROTOCOL_DIRS: list[Path] = []
_FACTS: dict[str, dict[str, FactsProvider]] = {}


def register_protocol_dir(path: Path | str) -> None:
    """Protocol YAML files of another app (call from its AppConfig.ready())."""
    folder = Path(path).resolve()
    if folder not in _PROTOCOL_DIRS:
        _PROTOCOL_DIRS.append(folder)


def protocol_dirs() -> tuple[Path, ...]:
    return tuple(_PROTOCOL_DIRS)


def register_facts(scope_kind: str, name: str, provider: FactsProvider) -> None:
    """`provider(facts)` adds `facts.extensions[name]` to every scope of this kind."""
    providers = _FACTS.setdefault(scope_kind, {})
    if name in providers and providers[name] is not provider:
        raise RuntimeError(f"facts provider {name!r} for {scope_kind} registered twice")
    providers[name] = provider


def facts_providers(scope_kind: str) -> dict[str, FactsProvider]:
    return dict(sorted(_FACTS.get(scope_kind, {}).items()))
