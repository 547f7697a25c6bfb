"""Canonical JSON and SHA-256 helpers shared by the hash-chained logs and the manifests.

Canonical form: UTF-8 JSON, keys sorted, no insignificant whitespace, non-ASCII kept as is.
Any verifier that re-serialises the same data this way gets the same digest.
"""
import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

GENESIS = "0" * 64


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    raise TypeError(f"not serialisable: {type(value).__name__}")


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_default).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chain_hash(previous_hash: str, payload: dict[str, Any]) -> str:
    """Hash of one chain link: the previous link's hash followed by the canonical payload."""
    return sha256_hex(previous_hash.encode("ascii") + b"\n" + canonical_json(payload))


def first_broken_link(links: Iterable[tuple[Any, str, str, dict[str, Any]]]) -> Any | None:
    """Walk (key, prev_hash, hash, payload) links in order; return the key of the first bad one.

    A link is bad when it does not point at the previous link's hash or when its own hash
    does not match its payload. Returns None when the whole chain holds.
    """
    expected_prev = GENESIS
    for key, prev_hash, link_hash, payload in links:
        if prev_hash != expected_prev or chain_hash(prev_hash, payload) != link_hash:
            return key
        expected_prev = link_hash
    return None
