"""The ledger is append-only in the database and hash-chained per transfer; the verifier (selector, command,
pages and API) names the first broken entry when a row is changed or removed with raw SQL."""
from datetime import UTC, datetime
from io import StringIO
from uuid import uuid4

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from apps.core.hashing import GENESIS, canonical_json
from apps.custody import ledger
from apps.custody.models import LedgerEntry, Receipt
from apps.custody.selectors import ledger_verify

# --- pure -----------------------------------------------------------------------------------------

def _chain(transfer_id, n):
    rows, prev = [], GENESIS
    org = uuid4()
    for seq in range(1, n + 1):
        payload = {"seq": seq, "text": "黑粉"}
        at = datetime(2026, 5, 1, 12, seq, tzinfo=UTC)
        digest = ledger.payload_digest(payload)
        link = ledger.link_of(transfer_id=transfer_id, seq=seq, kind="k", at=at, organisation_id=org, actor_id=None,
                              actor_label="a", channel="web", payload_sha256=digest)
        h = ledger.entry_hash(prev, link)
        rows.append(dict(id=seq, transfer_id=transfer_id, seq=seq, kind="k", at=at, organisation_id=org, actor_id=None,
                         actor_label="a", channel="web", payload=payload, payload_sha256=digest, prev_hash=prev,
                         hash=h))
        prev = h
    for row in rows:
        row.update(transfer_ledger_length=n, transfer_ledger_head=prev)
    return rows


def _rows(dicts):
    return [ledger.Row(**d) for d in dicts]


def test_pure_verifier_accepts_intact_chains_and_names_each_kind_of_break():
    a, b = _chain(uuid4(), 3), _chain(uuid4(), 2)
    result = ledger.verify(_rows(a + b))
    assert result.intact and result.entries == 5 and result.transfers == 2

    changed = [dict(r) for r in a]
    changed[1]["payload"] = {"seq": 2, "text": "forged"}
    assert ledger.verify(_rows(changed)).first_break == ledger.Break(2, a[1]["transfer_id"], 2, "payload")

    relabelled = [dict(r) for r in a]
    relabelled[2]["actor_label"] = "someone else"
    assert ledger.verify(_rows(relabelled)).first_break.reason == "hash"

    assert ledger.verify(_rows([a[0], a[2]])).first_break == ledger.Break(3, a[0]["transfer_id"], 3, "sequence")
    assert ledger.verify(_rows(a[:2] + b)).first_break == ledger.Break(2, a[0]["transfer_id"], 2, "truncated")

    relinked = [dict(r) for r in a]
    relinked[1]["prev_hash"] = "f" * 64
    assert ledger.verify(_rows(relinked)).first_break.reason == "link"


def test_unit_codes_digest_ignores_order():
    assert ledger.unit_codes_digest(["B", "A"]) == ledger.unit_codes_digest(["A", "B"]) != ledger.unit_codes_digest(
        ["A", "C"])


# --- database ---------------------------------------------------------------------------------------

def test_database_refuses_update_and_delete_of_entries_and_receipts(received):
    entry = LedgerEntry.objects.filter(transfer=received).first()
    for qs in (LedgerEntry.objects.filter(pk=entry.pk), Receipt.objects.filter(transfer=received)):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            qs.update(created_at=entry.at) if qs.model is Receipt else qs.update(kind="forged")
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            qs.delete()


def _raw(sql: str, params=()) -> None:
    """What someone with direct database access could do: disable the guard and rewrite the ledger."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # flush the test transaction's deferred FK checks
        cursor.execute("ALTER TABLE public.custody_ledgerentry DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE public.custody_ledgerentry ENABLE TRIGGER USER")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_a_tampered_payload_is_named_by_the_selector_and_the_command(processed, dispatched):
    entry = LedgerEntry.objects.get(transfer=processed, kind="received")
    assert ledger_verify().intact
    _raw("UPDATE public.custody_ledgerentry SET payload = jsonb_set(payload, '{net_mass_kg}', '\"1000.000\"') "
         "WHERE id = %s", [entry.pk])
    result = ledger_verify()
    assert result.first_break == ledger.Break(entry.pk, processed.pk, entry.seq, "payload")
    out = StringIO()
    with pytest.raises(CommandError, match=f"entry {entry.pk}"):
        call_command("verify_custody", stdout=out)
    assert f"BROKEN at entry {entry.pk} (transfer {processed.pk}, step 2): payload" in out.getvalue()


def test_a_rewritten_entry_with_a_recomputed_payload_digest_still_breaks_the_chain(received):
    entry = LedgerEntry.objects.get(transfer=received, kind="received")
    forged = dict(entry.payload, net_mass_kg="1000.000")
    _raw("UPDATE public.custody_ledgerentry SET payload = %s::jsonb, payload_sha256 = %s WHERE id = %s",
         [canonical_json(forged).decode(), ledger.payload_digest(forged), entry.pk])
    assert ledger_verify(transfer_id=received.pk).first_break.reason == "hash"


def test_removed_entries_are_detected(processed):
    entries = list(LedgerEntry.objects.filter(transfer=processed).order_by("seq"))
    _raw("DELETE FROM public.custody_ledgerentry WHERE id = %s", [entries[1].pk])
    assert ledger_verify().first_break == ledger.Break(entries[2].pk, processed.pk, 3, "sequence")


def test_a_truncated_tail_and_a_wiped_chain_are_detected(processed):
    entries = list(LedgerEntry.objects.filter(transfer=processed).order_by("seq"))
    _raw("DELETE FROM public.custody_ledgerentry WHERE id = %s", [entries[-1].pk])
    assert ledger_verify().first_break == ledger.Break(entries[-2].pk, processed.pk, entries[-2].seq, "truncated")
    _raw("DELETE FROM public.custody_ledgerentry WHERE transfer_id = %s", [processed.pk])
    assert ledger_verify().first_break == ledger.Break(None, processed.pk, None, "truncated")


def test_command_reports_an_intact_ledger_and_checks_one_transfer(received):
    out = StringIO()
    call_command("verify_custody", stdout=out)
    assert "intact (2 entries in 1 transfers)" in out.getvalue()
    out = StringIO()
    call_command("verify_custody", "--transfer", str(received.pk), stdout=out)
    assert "intact (2 entries" in out.getvalue()
    with pytest.raises(CommandError, match="Not a transfer id"):
        call_command("verify_custody", "--transfer", "nope")


def test_verification_of_one_organisation_walks_only_its_transfers(received, gamma):
    assert ledger_verify(organisation=gamma).entries == 0
    assert ledger_verify(organisation=received.receiver).entries == 2
