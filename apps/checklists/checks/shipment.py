"""Checks and predicates on a shipment: export of used batteries and regenerated materials
(contract, permit, manifest, dangerous goods, customs, waste documents, receipt, assay, certificate
and the cross-document quantity and element balances). Sources are cited in the protocol files."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.traceability.models import ShipmentDirection

from ..facts import Doc, ShipmentFacts
from .base import (
    FAILED,
    MET,
    MISSING,
    Context,
    Gate,
    Outcome,
    ParamSpec,
    Reason,
    check,
    deviation_pct,
    doc_label,
    field_mapping,
    field_number,
    field_text,
    fmt_mass,
    fmt_pct,
    names_match,
    outcome,
    predicate,
    to_decimal,
    worst,
)

S = ("shipment",)
DISPATCHED_STATES = ("dispatched", "received", "disputed", "closed")
RECEIVED_STATES = ("received", "closed")


def _facts(ctx: Context) -> ShipmentFacts:
    return ctx.facts


def chemistries(facts: ShipmentFacts) -> set[str]:
    return set(facts.declared_masses) | set(facts.unit_chemistries)


# --- predicates ---------------------------------------------------------------------------------

@predicate("shipment_direction", scopes=S, params={"direction": ParamSpec("string")})
def shipment_direction(ctx: Context) -> Gate:
    facts, wanted = _facts(ctx), ctx.param("direction")
    if facts.direction == wanted:
        return Gate(True)
    return Gate(False, Reason(_("This protocol covers %(wanted)s shipments; %(reference)s is %(actual)s."),
                              {"wanted": _direction(wanted), "reference": facts.reference,
                               "actual": _direction(facts.direction)}))


def _direction(value: str) -> Any:
    try:
        return ShipmentDirection(value).label
    except ValueError:
        return value


@predicate("shipment_is_waste", scopes=S, params={"is_waste": ParamSpec("bool")})
def shipment_is_waste(ctx: Context) -> Gate:
    facts = _facts(ctx)
    if facts.is_waste == ctx.param("is_waste"):
        return Gate(True)
    if facts.is_waste:
        return Gate(False, Reason(_("Not needed: the shipment is declared as waste.")))
    return Gate(False, Reason(_("Not needed: the shipment is not declared as waste.")))


@predicate("shipment_dispatched", scopes=S)
def shipment_dispatched(ctx: Context) -> Gate:
    facts = _facts(ctx)
    if facts.status in DISPATCHED_STATES or (facts.custody and facts.custody.receipt_confirmed_on):
        return Gate(True)
    return Gate(False, Reason(_("Not due yet: the shipment has not been dispatched.")))


def is_received(ctx: Context) -> bool:
    facts = _facts(ctx)
    custody = facts.custody
    return (facts.status in RECEIVED_STATES or bool(custody and (custody.receipt_confirmed_on
                                                                 or custody.processing_recorded_on))
            or bool(ctx.docs_of("receipt")))


@predicate("shipment_received", scopes=S)
def shipment_received(ctx: Context) -> Gate:
    if is_received(ctx):
        return Gate(True)
    return Gate(False, Reason(_("Not due yet: the recycler has not received the shipment.")))


@predicate("shipment_has_units", scopes=S)
def shipment_has_units(ctx: Context) -> Gate:
    if _facts(ctx).units:
        return Gate(True)
    return Gate(False, Reason(_("No battery units are registered in this shipment.")))


def is_cascade(unit, statuses) -> bool:
    return unit.status in statuses or bool(unit.original_code and unit.original_code.strip())


@predicate("shipment_has_cascade_units", scopes=S, params={"cascade_statuses": ParamSpec("list")})
def shipment_has_cascade_units(ctx: Context) -> Gate:
    statuses = frozenset(ctx.param("cascade_statuses"))
    if any(u.status in statuses or (u.original_code and u.original_code.strip()) for u in _facts(ctx).units):
        return Gate(True)
    return Gate(False, Reason(_("The shipment holds no cascade-use (repurposed) products.")))


@predicate("shipment_chemistry", scopes=S, params={"chemistries": ParamSpec("list")})
def shipment_chemistry(ctx: Context) -> Gate:
    known = chemistries(_facts(ctx))
    if not known or known & set(ctx.param("chemistries")):
        return Gate(True)
    return Gate(False, Reason(_("Not needed for the chemistries in this shipment (%(chemistries)s)."),
                              {"chemistries": sorted(known)}))


def sent_for_recycling(facts: ShipmentFacts) -> bool:
    return facts.is_waste or (bool(facts.units) and all(u.status == "waste" for u in facts.units))


@predicate("shipment_sent_for_recycling", scopes=S)
def shipment_sent_for_recycling(ctx: Context) -> Gate:
    if sent_for_recycling(_facts(ctx)):
        return Gate(True)
    return Gate(False, Reason(_("Not needed: the batteries are neither declared as waste nor sent for recycling.")))


# --- parties ------------------------------------------------------------------------------------

@check("counterparty_matches", scopes=S, params={"field": ParamSpec("string")})
def counterparty_matches(ctx: Context) -> Outcome | None:
    if not ctx.docs:
        return None
    facts, key = _facts(ctx), ctx.param("field")
    mismatches = []
    for doc in ctx.docs:
        named = field_text(doc, key)
        if not named:
            continue
        if names_match(named, facts.counterparty_name):
            return outcome(MET, Reason(_("%(doc)s names %(party)s, the counterparty of the shipment."),
                                       {"doc": doc_label(doc), "party": named}), docs=[doc])
        mismatches.append((doc, named))
    if mismatches:
        doc, named = mismatches[0]
        return outcome(FAILED, Reason(_("%(doc)s names %(named)s, but the shipment goes to %(party)s."),
                                      {"doc": doc_label(doc), "named": named, "party": facts.counterparty_name}),
                       docs=[doc])
    return outcome(MISSING, Reason(_("%(doc)s does not record the party (key field “%(key)s”)."),
                                   {"doc": doc_label(ctx.docs[0]), "key": key}), docs=ctx.docs[:1])


@check("recycler_qualified", scopes=S, params={"countries": ParamSpec("list"), "whitelist": ParamSpec("list")})
def recycler_qualified(ctx: Context) -> Outcome | None:
    """Chinese recyclers must be on the MIIT white list (Industry Standard Conditions)."""
    facts = _facts(ctx)
    if not ctx.docs or facts.counterparty_country not in ctx.param("countries"):
        return None
    whitelist = ctx.param("whitelist")
    for doc in ctx.docs:
        batch = field_text(doc, "whitelist_batch")
        holder = field_text(doc, "holder") or facts.counterparty_name
        if batch:
            return outcome(MET, Reason(_("%(doc)s: the recycler is on the MIIT white list (batch %(batch)s)."),
                                       {"doc": doc_label(doc), "batch": batch}), docs=[doc])
        if any(names_match(holder, name) for name in whitelist):
            return outcome(MET, Reason(_("%(holder)s is on the MIIT white list of qualified recyclers."),
                                       {"holder": holder}), docs=[doc])
    return outcome(FAILED, Reason(_("%(party)s is in %(country)s but its permit shows no MIIT white-list "
                                    "qualification (key field “whitelist_batch”)."),
                                  {"party": facts.counterparty_name, "country": facts.counterparty_country}),
                   docs=ctx.docs[:1])


# --- manifest, dangerous goods, customs, waste ---------------------------------------------------

@check("manifest_matches_shipment", scopes=S, params={"tolerance_pct": ParamSpec("number")})
def manifest_matches_shipment(ctx: Context) -> Outcome | None:
    if not ctx.docs:
        return None
    facts = _facts(ctx)
    tolerance = Decimal(str(ctx.param("tolerance_pct")))
    results: list[Outcome] = []
    net_total = Decimal(0)
    nets = 0
    units_total = 0
    unit_docs = 0
    for doc in ctx.docs:
        net, gross, count = field_number(doc, "net_mass_kg"), field_number(doc, "gross_mass_kg"), \
            field_number(doc, "unit_count")
        if net is not None:
            net_total += net
            nets += 1
            if gross is not None and gross < net:
                results.append(outcome(FAILED, Reason(
                    _("%(doc)s: gross mass %(gross)s is below the net mass %(net)s."),
                    {"doc": doc_label(doc), "gross": fmt_mass(gross), "net": fmt_mass(net)}), docs=[doc]))
        if count is not None:
            units_total += int(count)
            unit_docs += 1
    if not nets and not unit_docs:
        return outcome(MISSING, Reason(_("%(doc)s records neither a net mass nor a unit count."),
                                       {"doc": doc_label(ctx.docs[0])}), docs=ctx.docs[:1])
    declared = facts.declared_mass_kg
    if nets and declared is not None:
        params = {"manifest": fmt_mass(net_total), "declared": fmt_mass(declared), "tolerance": fmt_pct(tolerance),
                  "deviation": fmt_pct(deviation_pct(net_total, declared))}
        if deviation_pct(net_total, declared) <= tolerance:
            results.append(outcome(MET, Reason(_("Manifest net mass %(manifest)s matches the declared %(declared)s "
                                                 "(tolerance %(tolerance)s)."), params), docs=ctx.docs))
        else:
            results.append(outcome(FAILED, Reason(_("Manifest net mass %(manifest)s vs declared %(declared)s: "
                                                    "%(deviation)s apart, tolerance %(tolerance)s."), params),
                                   docs=ctx.docs))
    if unit_docs and facts.units:
        params = {"manifest": units_total, "registered": len(facts.units)}
        if units_total == len(facts.units):
            results.append(outcome(MET, Reason(_("The manifest lists %(manifest)s units, as registered."), params)))
        else:
            results.append(outcome(FAILED, Reason(_("The manifest lists %(manifest)s units, the shipment has "
                                                    "%(registered)s registered."), params), docs=ctx.docs))
    if not results:
        return outcome(MET, Reason(_("Nothing declared on the shipment to compare the manifest with.")),
                       docs=ctx.docs)
    return merge(results)


def merge(results: list[Outcome]) -> Outcome:
    status = worst(r.status for r in results)
    reasons = tuple(reason for r in results for reason in r.reasons)
    ids: list[str] = []
    for r in results:
        ids.extend(i for i in r.revision_ids if i not in ids)
    qualifier = next((r.qualifier for r in results if r.qualifier), "")
    return Outcome(status=status, reasons=reasons, revision_ids=tuple(ids), qualifier=qualifier)


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def _sp(value: str) -> str:
    return _digits(value)


def _pi(value: str) -> str:
    return re.sub(r"[\s-]", "", (value or "").upper())


@check("dangerous_goods", scopes=S, params={"un_numbers": ParamSpec("dict"), "families": ParamSpec("dict"),
                                            "recycling": ParamSpec("list")})
def dangerous_goods(ctx: Context) -> Outcome:
    facts = _facts(ctx)
    families: dict[str, str] = ctx.param("families")
    un_numbers: dict[str, list[str]] = ctx.param("un_numbers")
    declared_un = _digits(facts.un_number)
    sp, pi = _sp(facts.special_provision), _pi(facts.packing_instruction)
    results: list[Outcome] = []
    if not declared_un:
        return outcome(MISSING, Reason(_("No UN number is recorded on the shipment.")))
    wanted_families = {families[c] for c in chemistries(facts) if c in families}
    allowed = sorted({n for f in (wanted_families or un_numbers) for n in un_numbers.get(f, [])})
    if declared_un not in allowed:
        results.append(outcome(FAILED, Reason(_("UN %(un)s does not fit the batteries shipped; expected %(allowed)s."),
                                              {"un": declared_un, "allowed": [f"UN {n}" for n in allowed]})))
    else:
        results.append(outcome(MET, Reason(_("Classified as UN %(un)s."), {"un": declared_un})))
    if sent_for_recycling(facts):
        combos = ctx.param("recycling")
        if any(sp == _sp(str(c["special_provision"])) and pi in [_pi(p) for p in c["packing_instructions"]]
               for c in combos):
            results.append(outcome(MET, Reason(_("Carried for recycling under SP %(sp)s with %(pi)s."),
                                               {"sp": sp, "pi": pi})))
        else:
            expected = "; ".join(f"SP {c['special_provision']} + {'/'.join(c['packing_instructions'])}" for c in combos)
            results.append(outcome(FAILED, Reason(
                _("Batteries sent for recycling need %(expected)s; the shipment declares special provision %(sp)s "
                  "and packing instruction %(pi)s."),
                {"expected": expected, "sp": sp or "—", "pi": pi or "—"})))
    for doc in ctx.docs_of("dangerous_goods_declaration", "transport_manifest"):
        doc_un = _digits(field_text(doc, "un_number"))
        if doc_un and doc_un != declared_un:
            results.append(outcome(FAILED, Reason(_("%(doc)s declares UN %(doc_un)s, the shipment UN %(un)s."),
                                                  {"doc": doc_label(doc), "doc_un": doc_un, "un": declared_un}),
                                   docs=[doc]))
        doc_sp = _sp(field_text(doc, "special_provision"))
        if doc_sp and sp and doc_sp != sp:
            results.append(outcome(FAILED, Reason(_("%(doc)s declares SP %(doc_sp)s, the shipment SP %(sp)s."),
                                                  {"doc": doc_label(doc), "doc_sp": doc_sp, "sp": sp}), docs=[doc]))
    return merge(results)


@check("hs_code", scopes=S, params={"prefixes": ParamSpec("list"), "by_chemistry": ParamSpec("dict")})
def hs_code(ctx: Context) -> Outcome | None:
    facts = _facts(ctx)
    prefixes: list[str] = [str(p) for p in ctx.param("prefixes")]
    by_chemistry: dict[str, list[str]] = ctx.param("by_chemistry")
    codes: list[tuple[str, Doc | None]] = []
    if facts.hs_code.strip():
        codes.append((_digits(facts.hs_code), None))
    for doc in ctx.docs:
        value = _digits(field_text(doc, "hs_code"))
        if value:
            codes.append((value, doc))
        elif not facts.hs_code.strip():
            return outcome(MISSING, Reason(_("%(doc)s records no HS code (key field “hs_code”)."),
                                           {"doc": doc_label(doc)}), docs=[doc])
    if not codes:
        return outcome(MISSING, Reason(_("No HS code is recorded on the shipment or its customs declaration.")))
    results: list[Outcome] = []
    for code, doc in codes:
        where = doc_label(doc) if doc else _("the shipment")
        if not any(code.startswith(p) for p in prefixes):
            results.append(outcome(FAILED, Reason(_("HS code %(code)s on %(where)s is not under heading %(prefixes)s "
                                                    "(waste and scrap of batteries)."),
                                                  {"code": code, "where": where, "prefixes": prefixes}),
                                   docs=[doc] if doc else ()))
            continue
        expected = sorted({s for c in chemistries(facts) for s in by_chemistry.get(c, [])})
        if expected and not any(code.startswith(str(s)) for s in expected):
            results.append(outcome(FAILED, Reason(_("HS code %(code)s on %(where)s does not match the chemistries "
                                                    "shipped; expected %(expected)s."),
                                                  {"code": code, "where": where, "expected": expected}),
                                   docs=[doc] if doc else ()))
    distinct = {code[:6] for code, _doc in codes}
    if len(distinct) > 1:
        results.append(outcome(FAILED, Reason(_("The shipment and its customs declaration give different HS codes: "
                                                "%(codes)s."), {"codes": sorted(distinct)})))
    if not results:
        results.append(outcome(MET, Reason(_("HS code %(code)s (waste and scrap of batteries)."),
                                           {"code": codes[0][0]}), docs=[d for _c, d in codes if d]))
    return merge(results)


def _waste_code(value: str) -> str:
    return re.sub(r"[\s*]", "", value or "")


@check("waste_code", scopes=S)
def waste_code(ctx: Context) -> Outcome:
    facts = _facts(ctx)
    code = _waste_code(facts.waste_code)
    if not code:
        return outcome(MISSING, Reason(_("The shipment is declared as waste but records no waste code.")))
    for doc in ctx.docs:
        doc_code = _waste_code(field_text(doc, "waste_code"))
        if doc_code and doc_code != code:
            return outcome(FAILED, Reason(_("%(doc)s gives waste code %(doc_code)s, the shipment %(code)s."),
                                          {"doc": doc_label(doc), "doc_code": doc_code, "code": facts.waste_code}),
                           docs=[doc])
    return outcome(MET, Reason(_("Waste code %(code)s."), {"code": facts.waste_code.strip()}), docs=ctx.docs)


# --- quantities ---------------------------------------------------------------------------------

def _sum_field(docs: list[Doc], key: str) -> tuple[Decimal | None, list[Doc]]:
    total, used = Decimal(0), []
    for doc in docs:
        value = field_number(doc, key)
        if value is not None:
            total += value
            used.append(doc)
    return (total if used else None), used


QUANTITY_LABELS = {
    "contract": _("contract"), "manifest": _("manifest"), "declared": _("declared on the shipment"),
    "weighbridge": _("weighbridge"), "receipt": _("receipt"), "certificate": _("certificate of recycling"),
    "assay": _("assayed lot"),
}


def quantity(ctx: Context, name: str) -> tuple[Decimal | None, list[Doc]]:
    """One named quantity of the shipment, in kg, with the documents it comes from."""
    facts = _facts(ctx)
    if name == "declared":
        return facts.declared_mass_kg, []
    if name == "contract":
        for doc in ctx.docs_of("contract"):
            value = field_number(doc, "quantity_kg")
            if value is not None:
                return value, [doc]
        return None, []
    if name == "manifest":
        return _sum_field(ctx.docs_of("transport_manifest"), "net_mass_kg")
    if name == "weighbridge":
        return _sum_field(ctx.docs_of("weighbridge_ticket"), "net_kg")
    if name == "receipt":
        if facts.custody and facts.custody.received_net_mass_kg is not None:
            return facts.custody.received_net_mass_kg, []
        return _sum_field(ctx.docs_of("receipt"), "net_mass_kg")
    if name == "certificate":
        if facts.custody and facts.custody.treated_mass_kg is not None:
            return facts.custody.treated_mass_kg, []
        return _sum_field(ctx.docs_of("recycling_certificate"), "treated_mass_kg")
    if name == "assay":
        return _sum_field(ctx.docs_of("assay_report"), "lot_mass_kg")
    raise ValueError(name)


@check("quantities_agree", scopes=S, params={"pairs": ParamSpec("list"), "tolerance_pct": ParamSpec("number")})
def quantities_agree(ctx: Context) -> Outcome:
    """Each pair compares a measured quantity with a reference: `within` ±tolerance, or `at_most`
    reference + tolerance (an output cannot exceed what went in)."""
    default_tolerance = Decimal(str(ctx.param("tolerance_pct")))
    results: list[Outcome] = []
    for pair in ctx.param("pairs"):
        measured, m_docs = quantity(ctx, pair["measured"])
        reference, r_docs = quantity(ctx, pair["reference"])
        if measured is None or reference is None:
            continue
        tolerance = Decimal(str(pair.get("tolerance_pct", default_tolerance)))
        mode = pair.get("mode", "within")
        params = {"measured_label": QUANTITY_LABELS[pair["measured"]], "measured": fmt_mass(measured),
                  "reference_label": QUANTITY_LABELS[pair["reference"]], "reference": fmt_mass(reference),
                  "tolerance": fmt_pct(tolerance), "deviation": fmt_pct(deviation_pct(measured, reference))}
        docs = m_docs + r_docs
        if mode == "at_most":
            ok = measured * 100 <= reference * (100 + tolerance)
            message_ok = _("%(measured_label)s %(measured)s does not exceed %(reference_label)s %(reference)s "
                           "(tolerance %(tolerance)s).")
            message_bad = _("%(measured_label)s %(measured)s exceeds %(reference_label)s %(reference)s "
                            "by more than the tolerance of %(tolerance)s.")
        else:
            ok = deviation_pct(measured, reference) <= tolerance
            message_ok = _("%(measured_label)s %(measured)s vs %(reference_label)s %(reference)s: within "
                           "%(tolerance)s.")
            message_bad = _("%(measured_label)s %(measured)s vs %(reference_label)s %(reference)s: %(deviation)s "
                            "apart, tolerance %(tolerance)s.")
        results.append(outcome(MET if ok else FAILED, Reason(message_ok if ok else message_bad, params), docs=docs))
    if not results:
        return outcome(MISSING, Reason(_("No two documents with quantities to compare yet (contract, manifest, "
                                         "weighbridge ticket, receipt).")))
    return merge(results)


@check("receipt_confirmed", scopes=S, params={"tolerance_pct": ParamSpec("number")})
def receipt_confirmed(ctx: Context) -> Outcome:
    """Confirmed by the counterparty on the platform (custody ledger), or else a paper receipt
    uploaded as evidence: met, but marked unconfirmed by the counterparty."""
    facts = _facts(ctx)
    tolerance = Decimal(str(ctx.param("tolerance_pct")))
    shipped, shipped_docs = quantity(ctx, "manifest")
    shipped_label = QUANTITY_LABELS["manifest"]
    if shipped is None:
        shipped, shipped_label = facts.declared_mass_kg, QUANTITY_LABELS["declared"]
    custody = facts.custody
    if custody and custody.disputed:
        return outcome(FAILED, Reason(_("%(party)s disputed the receipt: %(reason)s"),
                                      {"party": facts.counterparty_name, "reason": custody.dispute_reason or "—"}))

    def compare(received: Decimal | None, count: int | None, docs: list[Doc], qualifier: str,
                intro: Reason) -> Outcome:
        results = [outcome(MET, intro, docs=docs, qualifier=qualifier)]
        if received is not None and shipped is not None:
            params = {"received": fmt_mass(received), "shipped_label": shipped_label, "shipped": fmt_mass(shipped),
                      "tolerance": fmt_pct(tolerance), "deviation": fmt_pct(deviation_pct(received, shipped))}
            if deviation_pct(received, shipped) <= tolerance:
                results.append(outcome(MET, Reason(_("Received %(received)s vs %(shipped_label)s %(shipped)s: within "
                                                     "%(tolerance)s."), params), docs=shipped_docs,
                                       qualifier=qualifier))
            else:
                results.append(outcome(FAILED, Reason(_("Received %(received)s vs %(shipped_label)s %(shipped)s: "
                                                        "%(deviation)s apart, tolerance %(tolerance)s."), params),
                                       docs=shipped_docs))
        if count is not None and facts.units and count != len(facts.units):
            results.append(outcome(FAILED, Reason(_("%(count)s units received, %(shipped)s shipped."),
                                                  {"count": count, "shipped": len(facts.units)})))
        return merge(results)

    if custody and custody.receipt_confirmed_on:
        return compare(custody.received_net_mass_kg, custody.received_unit_count, [], "",
                       Reason(_("Receipt confirmed on the platform by %(party)s on %(date)s."),
                              {"party": facts.counterparty_name, "date": custody.receipt_confirmed_on}))
    receipts = ctx.docs_of("receipt")
    if receipts:
        received, used = _sum_field(receipts, "net_mass_kg")
        count = None
        counts = [field_number(d, "unit_count") for d in receipts]
        if any(c is not None for c in counts):
            count = int(sum(c for c in counts if c is not None))
        return compare(received, count, receipts, "unconfirmed",
                       Reason(_("Only a paper receipt is uploaded (%(doc)s): not confirmed by the counterparty on the "
                                "platform."),
                              {"doc": doc_label(receipts[0])}))
    pending = ctx.docs_of("receipt", accepted_only=False)
    if pending:
        return outcome(MISSING, Reason(_("%(doc)s is waiting for review."), {"doc": doc_label(pending[0])}),
                       docs=pending[:1])
    return outcome(MISSING, Reason(_("%(party)s has not confirmed receipt, and no receipt has been uploaded."),
                                   {"party": facts.counterparty_name}))


# --- what the recycler reports: assay, certificate, recovered materials --------------------------

def assay_elements(doc: Doc) -> dict[str, Decimal]:
    raw = field_mapping(doc, "elements")
    return {str(el): value for el, v in raw.items() if (value := to_decimal(v, doc=doc, key=f"elements.{el}"))
            is not None}


@check("assay_plausible", scopes=S, params={"max_total_pct": ParamSpec("number")})
def assay_plausible(ctx: Context) -> Outcome | None:
    limit = Decimal(str(ctx.param("max_total_pct")))
    results: list[Outcome] = []
    for doc in ctx.docs:
        elements = assay_elements(doc)
        lot_code = field_text(doc, "lot_code")
        if not elements:
            results.append(outcome(MISSING, Reason(_("%(doc)s lists no element content (key field “elements”)."),
                                                   {"doc": doc_label(doc)}), docs=[doc]))
            continue
        bad = {el: v for el, v in elements.items() if v < 0 or v > 100}
        total = sum(elements.values(), Decimal(0))
        if bad:
            results.append(outcome(FAILED, Reason(_("%(doc)s: element percentages outside 0–100 %%: %(values)s."),
                                                  {"doc": doc_label(doc),
                                                   "values": [f"{el} {fmt_pct(v)}" for el, v in sorted(bad.items())]}),
                                   docs=[doc]))
        elif total > limit:
            results.append(outcome(FAILED, Reason(_("%(doc)s: the element percentages add up to %(total)s, more than "
                                                    "%(limit)s."),
                                                  {"doc": doc_label(doc), "total": fmt_pct(total),
                                                   "limit": fmt_pct(limit)}), docs=[doc]))
        elif not lot_code:
            results.append(outcome(MISSING, Reason(_("%(doc)s does not name the lot it assayed (key field "
                                                     "“lot_code”)."), {"doc": doc_label(doc)}), docs=[doc]))
        else:
            results.append(outcome(MET, Reason(_("%(doc)s: lot %(lot)s, %(values)s."),
                                               {"doc": doc_label(doc), "lot": lot_code,
                                                "values": [f"{el} {fmt_pct(v)}"
                                                           for el, v in sorted(elements.items())]}),
                                   docs=[doc]))
    for lot in _facts(ctx).lots:
        total = sum(lot.elements.values(), Decimal(0))
        if total > limit:
            results.append(outcome(FAILED, Reason(_("Lot %(lot)s: the element contents in the register add up to "
                                                    "%(total)s, more than %(limit)s."),
                                                  {"lot": lot.code, "total": fmt_pct(total), "limit": fmt_pct(limit)})))
    return merge(results) if results else None


def _same_reference(a: str, b: str) -> bool:
    return re.sub(r"[\s_-]", "", a).casefold() == re.sub(r"[\s_-]", "", b).casefold()


@check("certificate_matches_shipment", scopes=S, params={"tolerance_pct": ParamSpec("number")})
def certificate_matches_shipment(ctx: Context) -> Outcome | None:
    if not ctx.docs:
        return None
    facts = _facts(ctx)
    tolerance = Decimal(str(ctx.param("tolerance_pct")))
    received, _docs = quantity(ctx, "receipt")
    received_label = QUANTITY_LABELS["receipt"]
    if received is None:
        received, _docs = quantity(ctx, "manifest")
        received_label = QUANTITY_LABELS["manifest"]
    results: list[Outcome] = []
    for doc in ctx.docs:
        reference = field_text(doc, "shipment_reference")
        if not reference:
            results.append(outcome(MISSING, Reason(_("%(doc)s does not name the shipment it certifies (key field "
                                                     "“shipment_reference”)."), {"doc": doc_label(doc)}), docs=[doc]))
            continue
        if not _same_reference(reference, facts.reference):
            results.append(outcome(FAILED, Reason(_("%(doc)s certifies shipment %(named)s, not %(reference)s."),
                                                  {"doc": doc_label(doc), "named": reference,
                                                   "reference": facts.reference}), docs=[doc]))
            continue
        treated = field_number(doc, "treated_mass_kg")
        if treated is not None and received is not None and treated * 100 > received * (100 + tolerance):
            results.append(outcome(FAILED, Reason(_("%(doc)s certifies %(treated)s treated, more than the %(received)s "
                                                    "of the %(label)s (tolerance %(tolerance)s)."),
                                                  {"doc": doc_label(doc), "treated": fmt_mass(treated),
                                                   "received": fmt_mass(received), "label": received_label,
                                                   "tolerance": fmt_pct(tolerance)}), docs=[doc]))
            continue
        results.append(outcome(MET, Reason(_("%(doc)s certifies the recycling of shipment %(reference)s."),
                                           {"doc": doc_label(doc), "reference": facts.reference}), docs=[doc]))
    return merge(results)


@check("recovered_within_input", scopes=S, params={"tolerance_pct": ParamSpec("number")})
def recovered_within_input(ctx: Context) -> Outcome:
    """Recovered output per element never exceeds the element content that went in (the balance closes).

    Inputs: assay reports (lot mass × element %) or, in the recycler's own register, the black-mass
    lots made from the shipment. Outputs: the certificate's / ledger's recovered masses, or the lots
    refined from those inputs."""
    facts = _facts(ctx)
    tolerance = Decimal(str(ctx.param("tolerance_pct")))
    inputs: dict[str, Decimal] = {}
    outputs: dict[str, Decimal] = {}
    docs: list[Doc] = []
    for doc in ctx.docs_of("assay_report"):
        mass = field_number(doc, "lot_mass_kg")
        if mass is None:
            continue
        for el, pct in assay_elements(doc).items():
            inputs[el] = inputs.get(el, Decimal(0)) + mass * pct / 100
        docs.append(doc)
    recovered_sources = [facts.custody.recovered_kg] if facts.custody and facts.custody.recovered_kg else []
    for doc in ctx.docs_of("recycling_certificate"):
        mapping = field_mapping(doc, "recovered_kg")
        if mapping:
            recovered_sources.append({el: to_decimal(v, doc=doc, key=f"recovered_kg.{el}")
                                      for el, v in mapping.items()})
            docs.append(doc)
    for mapping in recovered_sources:
        for el, kg in mapping.items():
            if kg is not None:
                outputs[str(el)] = outputs.get(str(el), Decimal(0)) + kg
    if facts.lots:
        lot_ids = {lot.id for lot in facts.lots}
        derived = [lot for lot in facts.lots if set(lot.source_lot_ids) & lot_ids]
        sources = [lot for lot in facts.lots if lot not in derived]
        if derived and sources:
            for lot in sources:
                for el, pct in lot.elements.items():
                    inputs.setdefault(el, Decimal(0))
                    inputs[el] += lot.mass_kg * pct / 100
            for lot in derived:
                for el, pct in lot.elements.items():
                    outputs[el] = outputs.get(el, Decimal(0)) + lot.mass_kg * pct / 100
    if not outputs:
        return outcome(MISSING, Reason(_("No recovered materials are recorded yet (certificate key field "
                                         "“recovered_kg” or refined lots).")))
    results: list[Outcome] = []
    for el, out in sorted(outputs.items()):
        went_in = inputs.get(el)
        params = {"element": el, "out": fmt_mass(out), "in": fmt_mass(went_in), "tolerance": fmt_pct(tolerance)}
        if went_in is None:
            results.append(outcome(MISSING, Reason(_("%(element)s: %(out)s recovered, but no assay says how much "
                                                     "%(element)s went in."), params), docs=docs))
        elif out * 100 > went_in * (100 + tolerance):
            results.append(outcome(FAILED, Reason(_("%(element)s: %(out)s recovered exceeds the %(in)s contained in "
                                                    "the "
                                                    "input (tolerance %(tolerance)s)."), params), docs=docs))
        else:
            results.append(outcome(MET, Reason(_("%(element)s: %(out)s recovered of %(in)s contained in the input."),
                                               params), docs=docs))
    return merge(results)
