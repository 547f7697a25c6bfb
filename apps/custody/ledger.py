"""The custody ledger's hashing and verification (pure: no database access).

Each transfer has its own chain. Entry n of a transfer links to entry n-1 (the first to GENESIS):

    payload_sha256 = SHA-256(canonical JSON of the payload)
    hash           = SHA-256(prev_hash "\\n" canonical JSON of the link)

where the link holds the transfer id, the step number, the kind, the time, the acting organisation,
the actor and the payload digest. Changing any stored column of an entry, removing an entry, or
reordering entries breaks the chain at that entry; a truncated tail is caught by comparing the last
entry with the head the transfer records.
"""
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from apps.core.hashing import GENESIS, canonical_json, chain_hash, sha256_hex


def payload_digest(payload: dict[str, Any]) -> str:
    return sha256_hex(canonical_json(payload))


def link_of(*, transfer_id: UUID | str, seq: int, kind: str, at: datetime, organisation_id: UUID | str,
            actor_id: UUID | str | None, actor_label: str, channel: str, payload_sha256: str) -> dict[str, Any]:
    """The hashed fields of an entry (every stored column except the payload, which enters by its digest)."""
    return {
        "transfer": str(transfer_id),
        "seq": seq,
        "kind": kind,
        "at": at.isoformat(),
        "organisation": str(organisation_id),
        "actor_id": str(actor_id) if actor_id else None,
        "actor_label": actor_label,
        "channel": channel,
        "payload_sha256": payload_sha256,
    }


def entry_hash(prev_hash: str, link: dict[str, Any]) -> str:
    return chain_hash(prev_hash, link)


def unit_codes_digest(codes: Iterable[str]) -> str:
    """SHA-256 over the sorted unit codes, one per line (UTF-8). Anyone holding the list can recompute it."""
    return hashlib.sha256("\n".join(sorted(codes)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Row:
    """One stored entry as the verifier reads it, plus what its transfer records about its chain."""

    id: int
    transfer_id: UUID
    seq: int
    kind: str
    at: datetime
    organisation_id: UUID
    actor_id: UUID | None
    actor_label: str
    channel: str
    payload: dict[str, Any]
    payload_sha256: str
    prev_hash: str
    hash: str
    transfer_ledger_length: int
    transfer_ledger_head: str


class BreakReason:
    SEQUENCE = "sequence"  # a step is missing or out of order
    LINK = "link"  # does not point at the previous entry's hash
    PAYLOAD = "payload"  # the payload was changed after it was written
    HASH = "hash"  # a hashed column was changed
    TRUNCATED = "truncated"  # the chain ends before the head the transfer records


@dataclass(frozen=True)
class Break:
    entry_id: int | None
    transfer_id: UUID
    seq: int | None
    reason: str


@dataclass(frozen=True)
class Verification:
    entries: int
    transfers: int
    first_break: Break | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def check_row(row: Row, expected_seq: int, expected_prev: str) -> str | None:
    """The reason `row` breaks its chain, or None."""
    if row.seq != expected_seq:
        return BreakReason.SEQUENCE
    if row.prev_hash != expected_prev:
        return BreakReason.LINK
    if payload_digest(row.payload) != row.payload_sha256:
        return BreakReason.PAYLOAD
    link = link_of(transfer_id=row.transfer_id, seq=row.seq, kind=row.kind, at=row.at,
                   organisation_id=row.organisation_id, actor_id=row.actor_id, actor_label=row.actor_label,
                   channel=row.channel, payload_sha256=row.payload_sha256)
    if entry_hash(row.prev_hash, link) != row.hash:
        return BreakReason.HASH
    return None


def verify(rows: Iterable[Row]) -> Verification:
    """Walk rows ordered by (transfer, seq); stop at the first entry that breaks its transfer's chain.

    Consumes the iterable once, holding one row at a time, so memory stays flat however long the ledger.
    """
    entries = transfers = 0
    current: Row | None = None
    expected_seq, expected_prev = 1, GENESIS

    def tail_break(last: Row) -> Break | None:
        if last.seq != last.transfer_ledger_length or last.hash != last.transfer_ledger_head:
            return Break(last.id, last.transfer_id, last.seq, BreakReason.TRUNCATED)
        return None

    for row in rows:
        if current is None or row.transfer_id != current.transfer_id:
            if current is not None and (broken := tail_break(current)):
                return Verification(entries, transfers, broken)
            transfers += 1
            expected_seq, expected_prev = 1, GENESIS
        entries += 1
        reason = check_row(row, expected_seq, expected_prev)
        if reason is not None:
            return Verification(entries, transfers, Break(row.id, row.transfer_id, row.seq, reason))
        expected_seq, expected_prev = row.seq + 1, row.hash
        current = row
    if current is not None and (broken := tail_break(current)):
        return Verification(entries, transfers, broken)
    return Verification(entries, transfers, None)


def iter_canonical_bytes(rows: Iterable[Row]) -> Iterator[bytes]:
    """The bytes the verifier hashes for each row (used by the benchmark's hashlib baseline)."""
    for row in rows:
        yield canonical_json(row.payload)
        link = link_of(transfer_id=row.transfer_id, seq=row.seq, kind=row.kind, at=row.at,
                       organisation_id=row.organisation_id, actor_id=row.actor_id, actor_label=row.actor_label,
                       channel=row.channel, payload_sha256=row.payload_sha256)
        yield row.prev_hash.encode("ascii") + b"\n" + canonical_json(link)
