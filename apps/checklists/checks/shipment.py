"""Checks and predicates on a shipment: export of used batteries and regenerated materials
(contract, permit, manifest, dangerous goods, customs, waste documents, receipt, assay, certificate
and the cross-document quantity and element balances). Sources are cited in the protocol files."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.custody.facts import CustodyFacts, ReceiptSource
from apps.traceability.models import LotKind, ShipmentDirection

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


def _custody(ctx: Context) -> CustodyFacts | None:
    return _facts(ctx).custody


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
    if facts.status in DISPATCHED_STATES or facts.custody is not None:  # a transfer exists once dispatched
        return Gate(True)
    return Gate(False, Reason(_("Not due yet: the shipment has not been dispatched.")))


def is_received(ctx: Context) -> bool:
    facts = _facts(ctx)
    custody = facts.custody
    return (facts.status in RECEIVED_STATES or bool(custody and (custody.received_on or custody.processed_on))
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

@check("counterparty_matches", scopes=S, params={"field": ParamSpec("string")}, keyfield_params={"field": ""})
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


@check("recycler_qualified", scopes=S, params={"countries": ParamSpec("list"), "whitelist": ParamSpec("list")},
       reads={"recycler_permit": ("whitelist_batch", "holder")})
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

@check("manifest_matches_shipment", scopes=S, params={"tolerance_pct": ParamSpec("number")},
       reads={"transport_manifest": ("net_mass_kg", "gross_mass_kg", "unit_count")})
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
                                            "recycling": ParamSpec("list")},
       reads={"dangerous_goods_declaration": ("un_number", "special_provision"),
              "transport_manifest": ("un_number", "special_provision")})
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


@check("hs_code", scopes=S, params={"prefixes": ParamSpec("list"), "by_chemistry": ParamSpec("dict")},
       reads={"customs_declaration": ("hs_code",)})
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


@check("waste_code", scopes=S, reads={"waste_movement_document": ("waste_code",)})
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
# The key field each named quantity comes from (vault names, apps/evidence/doctypes.py).
QUANTITY_FIELDS = {
    "contract": ("contract", "quantity_kg"), "manifest": ("transport_manifest", "net_mass_kg"),
    "weighbridge": ("weighbridge_ticket", "net_kg"), "receipt": ("receipt", "received_net_mass_kg"),
    "certificate": ("recycling_certificate", "treated_mass_kg"), "assay": ("assay_report", "lot_mass_kg"),
}
QUANTITY_READS = {doc_type: (key,) for doc_type, key in QUANTITY_FIELDS.values()}


def quantity(ctx: Context, name: str) -> tuple[Decimal | None, list[Doc]]:
    """One named quantity of the shipment, in kg, with the documents it comes from. The receipt is
    the custody ledger's when the recycler confirmed it on the platform."""
    facts = _facts(ctx)
    if name == "declared":
        return facts.declared_mass_kg, []
    if name not in QUANTITY_FIELDS:
        raise ValueError(name)
    if name == "receipt" and facts.custody and facts.custody.received_net_mass_kg is not None:
        return facts.custody.received_net_mass_kg, []
    doc_type, key = QUANTITY_FIELDS[name]
    if name == "contract":
        for doc in ctx.docs_of(doc_type):
            value = field_number(doc, key)
            if value is not None:
                return value, [doc]
        return None, []
    return _sum_field(ctx.docs_of(doc_type), key)


@check("quantities_agree", scopes=S, params={"pairs": ParamSpec("list"), "tolerance_pct": ParamSpec("number")},
       reads=QUANTITY_READS)
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


# --- receipt: custody ledger first, paper second ------------------------------------------------

def _open_dispute(custody: CustodyFacts):
    return next((d for d in custody.discrepancies if d.kind == "dispute" and d.status == "open"), None)


def _open_discrepancy(custody: CustodyFacts):
    return next((d for d in custody.discrepancies if d.status == "open"), None)


@check("receipt_confirmed", scopes=S, params={"tolerance_pct": ParamSpec("number")},
       reads={"receipt": ("received_net_mass_kg", "received_unit_count"),
              "transport_manifest": ("net_mass_kg",)})
def receipt_confirmed(ctx: Context) -> Outcome:
    """Confirmed by the counterparty on the platform (custody ledger): met, within the tolerance of
    what was shipped; a dispute fails, an open discrepancy keeps it open. A paper receipt (uploaded
    through the ledger, or as evidence) meets it only "unconfirmed by the counterparty"."""
    facts = _facts(ctx)
    tolerance = Decimal(str(ctx.param("tolerance_pct")))
    shipped, shipped_docs = quantity(ctx, "manifest")
    shipped_label = QUANTITY_LABELS["manifest"]
    if shipped is None:
        shipped, shipped_label = facts.declared_mass_kg, QUANTITY_LABELS["declared"]
    custody = facts.custody
    if custody is not None and shipped is None:
        shipped, shipped_label = custody.declared_net_mass_kg, QUANTITY_LABELS["declared"]
    party = custody.receiver_name if custody is not None and custody.role == "sender" else facts.counterparty_name

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
        expected_units = len(facts.units) or (custody.declared_unit_count if custody is not None else 0)
        if count is not None and expected_units and count != expected_units:
            results.append(outcome(FAILED, Reason(_("%(count)s units received, %(shipped)s shipped."),
                                                  {"count": count, "shipped": expected_units})))
        return merge(results)

    if custody is not None:
        dispute = _open_dispute(custody)
        if dispute is not None:
            return outcome(FAILED, Reason(_("%(party)s disputed the receipt: %(reason)s"),
                                          {"party": party, "reason": dispute.reason or "—"}))
        if custody.receipt_source == ReceiptSource.COUNTERPARTY:
            said = compare(custody.received_net_mass_kg, custody.received_unit_count, [], "",
                           Reason(_("Receipt confirmed on the platform by %(party)s on %(date)s."),
                                  {"party": party, "date": custody.received_on}))
            return _with_discrepancies(said, custody)
        if custody.receipt_source == ReceiptSource.PAPER:
            said = compare(custody.received_net_mass_kg, custody.received_unit_count, [], "unconfirmed",
                           Reason(_("Only a paper receipt of %(date)s is recorded in the custody ledger: not "
                                    "confirmed by %(party)s on the platform."),
                                  {"party": party, "date": custody.received_on}))
            return _with_discrepancies(said, custody)
    receipts = ctx.docs_of("receipt")
    if receipts:
        received, _used = _sum_field(receipts, "received_net_mass_kg")
        count = None
        counts = [field_number(d, "received_unit_count") for d in receipts]
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
    if custody is not None:
        if not custody.receiver_joined:
            return outcome(MISSING, Reason(_("Dispatched on the platform on %(date)s to %(party)s, which has not "
                                             "joined Cellpass yet: no receipt confirmed."),
                                           {"date": custody.dispatched_on, "party": party}))
        return outcome(MISSING, Reason(_("Dispatched on the platform on %(date)s; %(party)s has not confirmed "
                                         "receipt yet."), {"date": custody.dispatched_on, "party": party}))
    return outcome(MISSING, Reason(_("%(party)s has not confirmed receipt, and no receipt has been uploaded."),
                                   {"party": facts.counterparty_name}))


def _with_discrepancies(said: Outcome, custody: CustodyFacts) -> Outcome:
    """An open discrepancy keeps the receipt open (missing) until the parties settle it; a settled
    one is named with its resolution."""
    results = [said]
    for d in custody.discrepancies:
        params = {"declared": fmt_mass(d.declared_net_mass_kg), "received": fmt_mass(d.received_net_mass_kg),
                  "date": d.opened_at.date(), "resolution": d.resolution or "—"}
        if d.status == "open":
            results.append(outcome(MISSING, Reason(_("A discrepancy is open since %(date)s (declared %(declared)s, "
                                                     "received %(received)s): settle it with the recycler on the "
                                                     "custody page."), params)))
        else:
            results.append(outcome(MET, Reason(_("The discrepancy of %(date)s (declared %(declared)s, received "
                                                 "%(received)s) was resolved: %(resolution)s"), params)))
    return merge(results)


# --- what the recycler reports: assay, certificate, recovered materials --------------------------

def assay_elements(doc: Doc) -> dict[str, Decimal]:
    raw = field_mapping(doc, "elements")
    return {str(el): value for el, v in raw.items() if (value := to_decimal(v, doc=doc, key=f"elements.{el}"))
            is not None}


@check("assay_plausible", scopes=S, params={"max_total_pct": ParamSpec("number")},
       reads={"assay_report": ("lot_code", "elements.*")})
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


@check("certificate_matches_shipment", scopes=S, params={"tolerance_pct": ParamSpec("number")},
       reads={"recycling_certificate": ("shipment_reference", "treated_mass_kg"),
              "receipt": ("received_net_mass_kg",), "transport_manifest": ("net_mass_kg",)})
def certificate_matches_shipment(ctx: Context) -> Outcome:
    """A certificate of recycling issued in the custody ledger for this shipment's transfer meets it;
    otherwise an accepted certificate uploaded as evidence that names this shipment and certifies no
    more than was received."""
    facts = _facts(ctx)
    custody = facts.custody
    if custody is not None and custody.certificate_number:
        return outcome(MET, Reason(_("Certificate of recycling %(number)s issued on the platform by %(party)s on "
                                     "%(date)s for this shipment's transfer (SHA-256 %(sha)s…)."),
                                   {"number": custody.certificate_number, "party": custody.receiver_name,
                                    "date": custody.certificate_issued_on, "sha": custody.certificate_sha256[:12]}))
    docs = ctx.docs or tuple(ctx.docs_of("recycling_certificate"))
    if not docs:
        pending = ctx.docs_of("recycling_certificate", accepted_only=False)
        if pending:
            return outcome(MISSING, Reason(_("%(doc)s is waiting for review."), {"doc": doc_label(pending[0])}),
                           docs=pending[:1])
        if custody is not None and custody.processed_on:
            return outcome(MISSING, Reason(_("%(party)s recorded the processing on %(date)s but has not issued a "
                                             "certificate of recycling yet."),
                                           {"party": custody.receiver_name, "date": custody.processed_on}))
        return outcome(MISSING, Reason(_("No certificate of recycling yet: issued on the platform by the recycler, "
                                         "or uploaded and accepted.")))
    tolerance = Decimal(str(ctx.param("tolerance_pct")))
    received, _docs = quantity(ctx, "receipt")
    received_label = QUANTITY_LABELS["receipt"]
    if received is None:
        received, _docs = quantity(ctx, "manifest")
        received_label = QUANTITY_LABELS["manifest"]
    results: list[Outcome] = []
    for doc in docs:
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


def _element_masses(lots) -> dict[str, Decimal]:
    """kg per element in these lots (mass × per cent); `lots` yields (mass_kg, {element: %})."""
    masses: dict[str, Decimal] = {}
    for mass, elements in lots:
        for el, pct in elements.items():
            masses[str(el)] = masses.get(str(el), Decimal(0)) + mass * pct / 100
    return masses


@check("recovered_within_input", scopes=S, params={"tolerance_pct": ParamSpec("number")},
       reads={"assay_report": ("lot_mass_kg", "elements.*"), "recycling_certificate": ("recovered_kg.*",)})
def recovered_within_input(ctx: Context) -> Outcome:
    """Recovered output per element never exceeds the element content that went in (the balance closes).

    Each side comes from one source, the first there is: the recycler's processing record in the custody
    ledger (black-mass lots in, recovered-material lots out); else the documents (assay reports: lot mass
    × element %, in; certificates: recovered kg per element, out); else the organisation's own register
    (lots made from the shipment, and the lots refined from them)."""
    facts = _facts(ctx)
    tolerance = Decimal(str(ctx.param("tolerance_pct")))
    custody = facts.custody
    docs: list[Doc] = []
    inputs: dict[str, Decimal] = {}
    outputs: dict[str, Decimal] = {}
    in_label = out_label = None
    if custody is not None and custody.lots:
        black = [(lot.mass_kg, dict(lot.elements)) for lot in custody.lots if lot.kind == LotKind.BLACK_MASS]
        refined = [(lot.mass_kg, dict(lot.elements)) for lot in custody.lots if lot.kind != LotKind.BLACK_MASS]
        if black:
            inputs, in_label = _element_masses(black), _("black-mass lots in the processing record")
        if refined:
            outputs, out_label = _element_masses(refined), _("recovered lots in the processing record")
    if not inputs:
        assays = []
        for doc in ctx.docs_of("assay_report"):
            mass = field_number(doc, "lot_mass_kg")
            if mass is not None:
                assays.append((mass, assay_elements(doc)))
                docs.append(doc)
        if assays:
            inputs, in_label = _element_masses(assays), _("assay reports")
    if not outputs:
        for doc in ctx.docs_of("recycling_certificate"):
            mapping = field_mapping(doc, "recovered_kg")
            for el, value in mapping.items():
                kg = to_decimal(value, doc=doc, key=f"recovered_kg.{el}")
                if kg is not None:
                    outputs[str(el)] = outputs.get(str(el), Decimal(0)) + kg
            if mapping:
                docs.append(doc)
        if outputs:
            out_label = _("certificates of recycling")
    if facts.lots and (not inputs or not outputs):
        lot_ids = {lot.id for lot in facts.lots}
        derived = [lot for lot in facts.lots if set(lot.source_lot_ids) & lot_ids]
        sources = [lot for lot in facts.lots if lot not in derived]
        if derived and sources:
            if not inputs:
                inputs = _element_masses((lot.mass_kg, lot.elements) for lot in sources)
                in_label = _("lots made from the shipment")
            if not outputs:
                outputs = _element_masses((lot.mass_kg, lot.elements) for lot in derived)
                out_label = _("lots refined from them")
    if not outputs:
        return outcome(MISSING, Reason(_("No recovered materials are recorded yet (processing record on the platform, "
                                         "certificate key field “recovered_kg”, or refined lots).")))
    results: list[Outcome] = []
    for el, out in sorted(outputs.items()):
        went_in = inputs.get(el)
        params = {"element": el, "out": fmt_mass(out), "in": fmt_mass(went_in), "tolerance": fmt_pct(tolerance),
                  "out_source": out_label or "—", "in_source": in_label or "—"}
        if went_in is None:
            results.append(outcome(MISSING, Reason(_("%(element)s: %(out)s recovered (%(out_source)s), but nothing "
                                                     "says how much %(element)s went in."), params), docs=docs))
        elif out * 100 > went_in * (100 + tolerance):
            results.append(outcome(FAILED, Reason(_("%(element)s: %(out)s recovered (%(out_source)s) exceeds the "
                                                    "%(in)s contained in the input (%(in_source)s, tolerance "
                                                    "%(tolerance)s)."), params), docs=docs))
        else:
            results.append(outcome(MET, Reason(_("%(element)s: %(out)s recovered (%(out_source)s) of %(in)s contained "
                                                 "in the input (%(in_source)s)."), params), docs=docs))
    return merge(results)
