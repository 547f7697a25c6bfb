"""ISO 22095 mass-balance claims on a material lot: the record that covers it (boundary, balancing
period), its input and output records, conversion factors, the balance itself (no negative balance,
physical stock vs book), no double counting and third-party verification [REFERENCE §5.1–5.2].

Key fields read from a mass-balance record (`mass_balance_record`, names of the vault's registry):
boundary, period_start, period_end, inputs[{reference, mass_kg, supplier, characteristic, share_pct,
declaration_ref}], outputs[{reference (the output lot's code), mass_kg, claimed_share_pct, customer}],
conversion_factors {element or "yield": factor}, carry_over_kg, physical_stock_kg, book_stock_kg,
verified_by, verification_reference, verification_date.
"""
from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.traceability.models import CustodyModel

from ..facts import Doc, LotFacts
from .base import (
    FAILED,
    MET,
    MISSING,
    BadKeyField,
    Context,
    Gate,
    Outcome,
    ParamSpec,
    Reason,
    check,
    deviation_pct,
    doc_label,
    field_date,
    field_number,
    field_text,
    fmt_mass,
    fmt_num,
    fmt_pct,
    outcome,
    predicate,
    to_decimal,
)
from .shipment import merge

L = ("material_lot",)
MB = "mass_balance_record"
RECORD_READS = {MB: ("outputs.reference",)}


def _lot_facts(ctx: Context) -> LotFacts:
    return ctx.facts


@predicate("lot_custody_model", scopes=L, params={"models": ParamSpec("list")})
def lot_custody_model(ctx: Context) -> Gate:
    lot = _lot_facts(ctx).lot
    if lot.custody_model in ctx.param("models"):
        return Gate(True)
    label = CustodyModel(lot.custody_model).label if lot.custody_model in CustodyModel.values else "—"
    return Gate(False, Reason(_("Lot %(lot)s is not claimed under a mass balance (chain-of-custody model: "
                                "%(model)s)."), {"lot": lot.code, "model": label}))


def _items(doc: Doc, key: str) -> list[dict[str, Any]]:
    value = doc.key_fields.get(key)
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
        raise BadKeyField(doc, key, value, _("a list of records"))
    return value


def record(ctx: Context) -> Doc | None:
    """The mass-balance record for this lot: one that lists it among its outputs, else the latest."""
    lot = _lot_facts(ctx).lot
    docs = list(ctx.docs)
    for doc in docs:
        if any(str(item.get("reference", "")).strip() == lot.code for item in _items(doc, "outputs")):
            return doc
    return docs[-1] if docs else None


@check("mb_boundary_period", scopes=L, params={"max_period_days": ParamSpec("integer")},
       reads={MB: RECORD_READS[MB] + ("boundary", "period_start", "period_end")})
def mb_boundary_period(ctx: Context) -> Outcome | None:
    doc = record(ctx)
    if doc is None:
        return None
    lot = _lot_facts(ctx).lot
    results = []
    if not field_text(doc, "boundary"):
        results.append(outcome(MISSING, Reason(_("%(doc)s does not define the system boundary (key field "
                                                 "“boundary”)."), {"doc": doc_label(doc)}), docs=[doc]))
    start, end = field_date(doc, "period_start"), field_date(doc, "period_end")
    if start is None or end is None:
        results.append(outcome(MISSING, Reason(_("%(doc)s does not give the start and end of the balancing period."),
                                               {"doc": doc_label(doc)}), docs=[doc]))
    elif end < start:
        results.append(outcome(FAILED, Reason(_("%(doc)s: the balancing period ends (%(end)s) before it starts "
                                                "(%(start)s)."), {"doc": doc_label(doc), "start": start, "end": end}),
                               docs=[doc]))
    else:
        days = (end - start).days + 1
        limit = int(ctx.param("max_period_days"))
        if days > limit:
            results.append(outcome(FAILED, Reason(_("%(doc)s: a balancing period of %(days)s days is longer than "
                                                    "%(limit)s days."),
                                                  {"doc": doc_label(doc), "days": days, "limit": limit}), docs=[doc]))
        if lot.produced_on and not (start <= lot.produced_on <= end):
            results.append(outcome(FAILED, Reason(_("Lot %(lot)s was produced on %(produced)s, outside the balancing "
                                                    "period %(start)s – %(end)s."),
                                                  {"lot": lot.code, "produced": lot.produced_on, "start": start,
                                                   "end": end}), docs=[doc]))
    if not results:
        results.append(outcome(MET, Reason(_("%(doc)s: boundary %(boundary)s, period %(start)s – %(end)s."),
                                           {"doc": doc_label(doc), "boundary": field_text(doc, "boundary"),
                                            "start": start, "end": end}), docs=[doc]))
    return merge(results)


INPUT_FIELDS = ("reference", "mass_kg", "characteristic", "declaration_ref")


@check("mb_inputs", scopes=L, reads={MB: RECORD_READS[MB] + tuple(f"inputs.{f}" for f in INPUT_FIELDS)})
def mb_inputs(ctx: Context) -> Outcome | None:
    doc = record(ctx)
    if doc is None:
        return None
    items = _items(doc, "inputs")
    if not items:
        return outcome(MISSING, Reason(_("%(doc)s has no input records."), {"doc": doc_label(doc)}), docs=[doc])
    incomplete = []
    for index, item in enumerate(items, start=1):
        lacking = [f for f in INPUT_FIELDS if item.get(f) in (None, "")]
        quantity = to_decimal(item.get("mass_kg"), doc=doc, key=f"inputs[{index}].mass_kg")
        if quantity is not None and quantity <= 0:
            lacking.append("mass_kg > 0")
        if lacking:
            incomplete.append(f"#{index} ({', '.join(lacking)})")
    if incomplete:
        return outcome(FAILED, Reason(_("%(doc)s: incomplete input records: %(items)s."),
                                      {"doc": doc_label(doc), "items": incomplete}), docs=[doc])
    total = sum((to_decimal(i["mass_kg"]) or Decimal(0) for i in items), Decimal(0))
    return outcome(MET, Reason(_("%(doc)s: %(count)s input records, %(total)s in all, each with its supporting "
                                 "declaration."),
                               {"doc": doc_label(doc), "count": len(items), "total": fmt_mass(total)}),
                   docs=[doc])


@check("mb_outputs", scopes=L, params={"tolerance_pct": ParamSpec("number")},
       reads={MB: ("outputs.reference", "outputs.mass_kg", "outputs.claimed_share_pct")})
def mb_outputs(ctx: Context) -> Outcome | None:
    doc = record(ctx)
    if doc is None:
        return None
    lot = _lot_facts(ctx).lot
    mine = [i for i in _items(doc, "outputs") if str(i.get("reference", "")).strip() == lot.code]
    if not mine:
        return outcome(FAILED, Reason(_("%(doc)s has no output record for lot %(lot)s."),
                                      {"doc": doc_label(doc), "lot": lot.code}), docs=[doc])
    item = mine[0]
    results = []
    quantity = to_decimal(item.get("mass_kg"), doc=doc, key="outputs.mass_kg")
    share = to_decimal(item.get("claimed_share_pct"), doc=doc, key="outputs.claimed_share_pct")
    tolerance = Decimal(str(ctx.param("tolerance_pct")))
    if quantity is None:
        results.append(outcome(MISSING, Reason(_("%(doc)s: the output record of lot %(lot)s has no quantity."),
                                               {"doc": doc_label(doc), "lot": lot.code}), docs=[doc]))
    elif deviation_pct(quantity, lot.mass_kg) > tolerance:
        results.append(outcome(FAILED, Reason(_("%(doc)s records %(quantity)s for lot %(lot)s, the register "
                                                "%(mass)s (tolerance %(tolerance)s)."),
                                              {"doc": doc_label(doc), "quantity": fmt_mass(quantity), "lot": lot.code,
                                               "mass": fmt_mass(lot.mass_kg), "tolerance": fmt_pct(tolerance)}),
                               docs=[doc]))
    if share is None:
        results.append(outcome(MISSING, Reason(_("%(doc)s: the output record of lot %(lot)s claims no share."),
                                               {"doc": doc_label(doc), "lot": lot.code}), docs=[doc]))
    elif share < 0 or share > 100:
        results.append(outcome(FAILED, Reason(_("%(doc)s claims %(share)s for lot %(lot)s: outside 0–100 %%."),
                                              {"doc": doc_label(doc), "share": fmt_pct(share), "lot": lot.code}),
                               docs=[doc]))
    if not results:
        results.append(outcome(MET, Reason(_("%(doc)s: lot %(lot)s, %(quantity)s, %(share)s attributed."),
                                           {"doc": doc_label(doc), "lot": lot.code, "quantity": fmt_mass(quantity),
                                            "share": fmt_pct(share)}), docs=[doc]))
    return merge(results)


def _factors(doc: Doc) -> dict[str, Decimal | None]:
    """{element or "yield": factor} from the key field `conversion_factors`."""
    raw = doc.key_fields.get("conversion_factors")
    if raw in (None, "", {}):
        return {}
    if not isinstance(raw, dict):
        raise BadKeyField(doc, "conversion_factors", raw, "mapping")
    return {str(k): to_decimal(v, doc=doc, key=f"conversion_factors.{k}") for k, v in raw.items()}


@check("mb_conversion_factors", scopes=L, reads={MB: RECORD_READS[MB] + ("conversion_factors.*",)})
def mb_conversion_factors(ctx: Context) -> Outcome | None:
    doc = record(ctx)
    if doc is None:
        return None
    factors = _factors(doc)
    if not factors:
        return outcome(MISSING, Reason(_("%(doc)s gives no conversion factor (input → output yield)."),
                                       {"doc": doc_label(doc)}), docs=[doc])
    bad = [f"{k} = {fmt_num(v)}" for k, v in factors.items() if v is None or v <= 0 or v > 1]
    if bad:
        return outcome(FAILED, Reason(_("%(doc)s: conversion factors must be above 0 and at most 1: %(values)s."),
                                      {"doc": doc_label(doc), "values": bad}), docs=[doc])
    return outcome(MET, Reason(_("%(doc)s: conversion factors %(values)s."),
                               {"doc": doc_label(doc), "values": [f"{k} {fmt_num(v)}" for k, v in factors.items()]}),
                   docs=[doc])


@check("mb_balance", scopes=L, params={"stock_tolerance_pct": ParamSpec("number")},
       reads={MB: ("inputs.mass_kg", "inputs.share_pct", "outputs.reference", "outputs.mass_kg",
                   "outputs.claimed_share_pct", "conversion_factors.*", "carry_over_kg", "physical_stock_kg",
                   "book_stock_kg")})
def mb_balance(ctx: Context) -> Outcome | None:
    """Credits out ≤ credits in × conversion factor + carry-over; physical stock within tolerance of the book."""
    doc = record(ctx)
    if doc is None:
        return None
    inputs, outputs = _items(doc, "inputs"), _items(doc, "outputs")
    if not inputs or not outputs:
        return outcome(MISSING, Reason(_("%(doc)s needs both input and output records to balance."),
                                       {"doc": doc_label(doc)}), docs=[doc])
    factors = _factors(doc)
    factor = factors.get("yield") or (min(v for v in factors.values() if v is not None) if factors else Decimal(1))
    credits_in = Decimal(0)
    for index, item in enumerate(inputs, start=1):
        quantity = to_decimal(item.get("mass_kg"), doc=doc, key=f"inputs[{index}].mass_kg") or Decimal(0)
        share = to_decimal(item.get("share_pct", 100), doc=doc, key=f"inputs[{index}].share_pct")
        credits_in += quantity * (share if share is not None else Decimal(100)) / 100
    credits_in = credits_in * factor + (field_number(doc, "carry_over_kg") or Decimal(0))
    credits_out = Decimal(0)
    for index, item in enumerate(outputs, start=1):
        quantity = to_decimal(item.get("mass_kg"), doc=doc, key=f"outputs[{index}].mass_kg") or Decimal(0)
        share = to_decimal(item.get("claimed_share_pct"), doc=doc, key=f"outputs[{index}].claimed_share_pct")
        credits_out += quantity * (share or Decimal(0)) / 100
    results = []
    params = {"doc": doc_label(doc), "out": fmt_mass(credits_out), "in": fmt_mass(credits_in)}
    if credits_out > credits_in:
        results.append(outcome(FAILED, Reason(_("%(doc)s: negative balance — %(out)s claimed against %(in)s of "
                                                "credits available."), params), docs=[doc]))
    else:
        results.append(outcome(MET, Reason(_("%(doc)s: %(out)s claimed against %(in)s of credits available."), params),
                               docs=[doc]))
    physical, book = field_number(doc, "physical_stock_kg"), field_number(doc, "book_stock_kg")
    tolerance = Decimal(str(ctx.param("stock_tolerance_pct")))
    if physical is not None and book is not None and deviation_pct(physical, book) > tolerance:
        results.append(outcome(FAILED, Reason(_("%(doc)s: physical stock %(physical)s vs book %(book)s: %(deviation)s "
                                                "apart, tolerance %(tolerance)s."),
                                              {"doc": doc_label(doc), "physical": fmt_mass(physical),
                                               "book": fmt_mass(book),
                                               "deviation": fmt_pct(deviation_pct(physical, book)),
                                               "tolerance": fmt_pct(tolerance)}), docs=[doc]))
    return merge(results)


@check("mb_no_double_counting", scopes=L, reads=RECORD_READS)
def mb_no_double_counting(ctx: Context) -> Outcome | None:
    doc = record(ctx)
    if doc is None:
        return None
    facts = _lot_facts(ctx)
    codes = Counter(str(i.get("reference", "")).strip() for i in _items(doc, "outputs") if i.get("reference"))
    results = []
    twice = sorted(code for code, n in codes.items() if n > 1)
    if twice:
        results.append(outcome(FAILED, Reason(_("%(doc)s claims these lots more than once: %(codes)s."),
                                              {"doc": doc_label(doc), "codes": twice}), docs=[doc]))
    others = [c for c in facts.claims if c.revision_id != doc.revision_id]
    if others:
        results.append(outcome(FAILED, Reason(_("Lot %(lot)s is also claimed in other mass-balance records: "
                                                "%(records)s."),
                                              {"lot": facts.lot.code, "records": [c.reference for c in others]}),
                               docs=[doc]))
    if not results:
        results.append(outcome(MET, Reason(_("Lot %(lot)s is claimed once, in %(doc)s."),
                                           {"lot": facts.lot.code, "doc": doc_label(doc)}), docs=[doc]))
    return merge(results)


@check("mb_verification", scopes=L,
       reads={MB: RECORD_READS[MB] + ("verified_by", "verification_reference", "verification_date", "period_end")})
def mb_verification(ctx: Context) -> Outcome | None:
    doc = record(ctx)
    if doc is None:
        return None
    verifier, reference = field_text(doc, "verified_by"), field_text(doc, "verification_reference")
    verified_on, end = field_date(doc, "verification_date"), field_date(doc, "period_end")
    if not verifier or not reference:
        return outcome(MISSING, Reason(_("%(doc)s shows no third-party verification (key fields “verified_by” and "
                                         "“verification_reference”)."), {"doc": doc_label(doc)}), docs=[doc])
    if verified_on and end and verified_on < end:
        return outcome(FAILED, Reason(_("%(doc)s was verified on %(date)s, before its balancing period ended "
                                        "(%(end)s)."), {"doc": doc_label(doc), "date": verified_on, "end": end}),
                       docs=[doc])
    return outcome(MET, Reason(_("%(doc)s verified by %(verifier)s (%(reference)s)."),
                               {"doc": doc_label(doc), "verifier": verifier, "reference": reference}), docs=[doc])
