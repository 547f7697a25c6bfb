"""EU Regulation 2023/1542 on battery models: who is in scope (category, energy), from when (the
later of a fixed date or N months after a delegated/implementing act), the Art 7 carbon-footprint
declaration and the Art 8 recycled-content documentation and minimum shares."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from apps.traceability.models import CustodyModel, EuCategory

from ..facts import Doc, ModelFacts, ModelYearFacts
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
    doc_label,
    field_mapping,
    field_number,
    field_text,
    fmt_num,
    fmt_pct,
    names_match,
    outcome,
    predicate,
    to_decimal,
)
from .shipment import merge

MODEL_SCOPES = ("battery_model", "model_year")


def _model(ctx: Context) -> ModelFacts:
    facts = ctx.facts
    return facts.model if isinstance(facts, ModelYearFacts) else facts


def category_key(model: ModelFacts) -> str:
    """Category as the application-date tables name it (industrial split by external storage)."""
    if model.eu_category == "industrial":
        return "industrial_ext_storage" if model.external_storage_only else "industrial_no_ext_storage"
    return model.eu_category


def _category_label(value: str) -> Any:
    try:
        return EuCategory(value).label
    except ValueError:
        return value


@predicate("model_category", scopes=MODEL_SCOPES, params={
    "categories": ParamSpec("list"), "industrial_min_kwh": ParamSpec("number"),
    "include_external_storage": ParamSpec("bool")})
def model_category(ctx: Context) -> Gate:
    model = _model(ctx)
    label = {"model": model.code, "category": _category_label(model.eu_category)}
    if model.eu_category not in ctx.param("categories"):
        return Gate(False, Reason(_("Model %(model)s is a %(category)s battery: not in scope."), label))
    if model.eu_category == "industrial":
        minimum = Decimal(str(ctx.param("industrial_min_kwh")))
        if model.rated_energy_kwh is not None and model.rated_energy_kwh <= minimum:
            return Gate(False, Reason(_("Model %(model)s stores %(energy)s kWh: industrial batteries are in scope "
                                        "above %(minimum)s kWh."),
                                      {**label, "energy": fmt_num(model.rated_energy_kwh),
                                       "minimum": fmt_num(minimum)}))
        if model.external_storage_only and not ctx.param("include_external_storage"):
            return Gate(False, Reason(_("Model %(model)s is an industrial battery with exclusively external storage: "
                                        "not in scope."), label))
    return Gate(True)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


def application_date(entry: Any, act_date: date | None) -> tuple[date | None, date, int]:
    """(date it applies from or None while the act is pending, the fixed date, months after the act).

    An entry is a fixed date, or [fixed date, months after the act]: the obligation applies from the
    later of the two [REFERENCE §1.2, §1.3]."""
    if isinstance(entry, list):
        fixed, months = entry[0], int(entry[1])
    else:
        fixed, months = entry, 0
    if not months:
        return fixed, fixed, 0
    if act_date is None:
        return None, fixed, months
    return max(fixed, _add_months(act_date, months)), fixed, months


@predicate("applies_from", scopes=MODEL_SCOPES, params={
    "dates": ParamSpec("dict"), "act_date": ParamSpec("date", nullable=True), "act_name": ParamSpec("string"),
    "unknown_act": ParamSpec("string"), "warn_days": ParamSpec("integer")})
def applies_from(ctx: Context) -> Gate:
    """`dates` maps a category key (or "all") to its date entry. While the act's date is unknown,
    `unknown_act` says whether the obligation is "pending" (not applicable) or runs from the fixed date."""
    model = _model(ctx)
    dates: dict[str, Any] = ctx.param("dates")
    entry = dates.get(category_key(model), dates.get(model.eu_category, dates.get("all")))
    if entry is None:
        return Gate(False, Reason(_("No application date is defined for %(category)s batteries."),
                                  {"category": _category_label(model.eu_category)}))
    act_name = ctx.param("act_name")
    starts, fixed, months = application_date(entry, ctx.param("act_date"))
    if starts is None:
        if ctx.param("unknown_act") == "pending":
            return Gate(False, Reason(_("Pending: applies from the later of %(fixed)s or %(months)s months after the "
                                        "%(act)s, whose date is not configured yet."),
                                      {"fixed": fixed, "months": months, "act": act_name}))
        starts = fixed
    if ctx.today >= starts:
        return Gate(True)
    days = (starts - ctx.today).days
    if days <= int(ctx.param("warn_days")):
        return Gate(True, Reason(_("Applies from %(date)s (in %(days)s days)."), {"date": starts, "days": days}),
                    applies_from=starts)
    return Gate(False, Reason(_("Applies from %(date)s."), {"date": starts}))


# --- Art 8: recycled content ------------------------------------------------------------------

ART8_ELEMENTS = ("Co", "Li", "Ni", "Pb")
DECLARATION_READS = {"recycled_content_declaration": ("year", "plant", "shares.*.pre_consumer_pct",
                                                      "shares.*.post_consumer_pct", "custody_model", "lot_codes")}


def declarations_for_year(ctx: Context) -> tuple[list[Doc], list[int]]:
    """Accepted recycled-content declarations of the scope's year, and the other years seen."""
    facts: ModelYearFacts = ctx.facts
    docs = ctx.docs or ctx.docs_of("recycled_content_declaration")
    matching, others = [], []
    for doc in docs:
        year = field_number(doc, "year")
        if year is not None and int(year) == facts.year:
            matching.append(doc)
        elif year is not None:
            others.append(int(year))
    return matching, sorted(set(others))


def _no_declaration(ctx: Context, others: list[int]) -> Outcome:
    facts: ModelYearFacts = ctx.facts
    if others:
        return outcome(MISSING, Reason(_("No recycled-content declaration for %(year)s (there are some for "
                                         "%(others)s)."), {"year": facts.year, "others": others}))
    return outcome(MISSING, Reason(_("No recycled-content declaration for model %(model)s in %(year)s."),
                                   {"model": facts.model.code, "year": facts.year}))


def shares(doc: Doc) -> dict[str, tuple[Decimal | None, Decimal | None]]:
    """Element -> (pre-consumer %, post-consumer %) from the key field `shares`."""
    result = {}
    for element, value in field_mapping(doc, "shares").items():
        if isinstance(value, dict):
            pre = to_decimal(value.get("pre_consumer_pct"), doc=doc, key=f"shares.{element}.pre_consumer_pct")
            post = to_decimal(value.get("post_consumer_pct"), doc=doc, key=f"shares.{element}.post_consumer_pct")
        else:
            pre, post = None, to_decimal(value, doc=doc, key=f"shares.{element}")
        result[str(element)] = (pre, post)
    return result


def elements_in(model: ModelFacts, by_chemistry: dict[str, list[str]]) -> list[str]:
    return [el for el in by_chemistry.get(model.chemistry, list(ART8_ELEMENTS)) if el in ART8_ELEMENTS]


@check("recycled_declaration", scopes=("model_year",), params={"elements_by_chemistry": ParamSpec("dict")},
       reads=DECLARATION_READS)
def recycled_declaration(ctx: Context) -> Outcome:
    facts: ModelYearFacts = ctx.facts
    docs, others = declarations_for_year(ctx)
    if not docs:
        return _no_declaration(ctx, others)
    doc = docs[0]
    results: list[Outcome] = []
    plant = field_text(doc, "plant")
    if plant and facts.model.manufacturing_plant and not names_match(plant, facts.model.manufacturing_plant):
        results.append(outcome(FAILED, Reason(_("%(doc)s is for plant %(plant)s; model %(model)s is made at "
                                                "%(model_plant)s."),
                                              {"doc": doc_label(doc), "plant": plant, "model": facts.model.code,
                                               "model_plant": facts.model.manufacturing_plant}), docs=[doc]))
    values = shares(doc)
    wanted = elements_in(facts.model, ctx.param("elements_by_chemistry"))
    missing = []
    for el in wanted:
        pre, post = values.get(el, (None, None))
        if pre is None:
            missing.append(format_lazy("{} ({})", el, _("pre-consumer")))
        if post is None:
            missing.append(format_lazy("{} ({})", el, _("post-consumer")))
    if missing:
        results.append(outcome(MISSING, Reason(_("%(doc)s does not document these shares: %(missing)s."),
                                               {"doc": doc_label(doc), "missing": missing}), docs=[doc]))
    bad = []
    for el in wanted:
        pre, post = values.get(el, (None, None))
        parts = [v for v in (pre, post) if v is not None]
        if any(v < 0 or v > 100 for v in parts) or sum(parts, Decimal(0)) > 100:
            bad.append(f"{el} {fmt_pct(sum(parts, Decimal(0)))}")
    if bad:
        results.append(outcome(FAILED, Reason(_("%(doc)s: shares outside 0–100 %%: %(values)s."),
                                              {"doc": doc_label(doc), "values": bad}), docs=[doc]))
    if not results:
        summary = [f"{el} {fmt_pct((values[el][0] or 0) + (values[el][1] or 0))}" for el in wanted]
        results.append(outcome(MET, Reason(_("%(doc)s documents the %(year)s shares: %(values)s."),
                                           {"doc": doc_label(doc), "year": facts.year, "values": summary}), docs=[doc]))
    return merge(results)


@check("recycled_lots_custody", scopes=("model_year",), reads=DECLARATION_READS)
def recycled_lots_custody(ctx: Context) -> Outcome:
    """The declaration is backed by material lots with a declared chain-of-custody model [REFERENCE §5.2]."""
    facts: ModelYearFacts = ctx.facts
    docs, others = declarations_for_year(ctx)
    if not docs:
        return _no_declaration(ctx, others)
    doc = docs[0]
    results: list[Outcome] = []
    model_type = field_text(doc, "custody_model")
    if not model_type:
        results.append(outcome(MISSING, Reason(_("%(doc)s does not declare its chain-of-custody model (key field "
                                                 "“custody_model”)."), {"doc": doc_label(doc)}), docs=[doc]))
    elif model_type not in CustodyModel.values:
        results.append(outcome(FAILED, Reason(_("%(doc)s declares an unknown chain-of-custody model “%(value)s”."),
                                              {"doc": doc_label(doc), "value": model_type}), docs=[doc]))
    named = doc.key_fields.get("lot_codes") or []
    known = {lot.code for lot in facts.lots}
    unknown = [str(code) for code in named if str(code) not in known] if isinstance(named, list) else []
    if unknown:
        results.append(outcome(FAILED, Reason(_("%(doc)s names lots that are not in the register: %(codes)s."),
                                              {"doc": doc_label(doc), "codes": unknown}), docs=[doc]))
    if not facts.lots:
        results.append(outcome(MISSING, Reason(_("No material lots back the declaration (link them to it, or list "
                                                 "them in “lot_codes”)."))))
    without = sorted(lot.code for lot in facts.lots if not lot.custody_model)
    if without:
        results.append(outcome(FAILED, Reason(_("Lots without a chain-of-custody model: %(codes)s."),
                                              {"codes": without})))
    primary = sorted(lot.code for lot in facts.lots if lot.origin == "primary")
    if primary:
        results.append(outcome(FAILED, Reason(_("Lots of primary (not recycled) material cannot back recycled "
                                                "content: %(codes)s."), {"codes": primary})))
    if not results:
        results.append(outcome(MET, Reason(_("%(count)s material lots back the declaration (%(model)s)."),
                                           {"count": len(facts.lots), "model": CustodyModel(model_type).label}),
                               docs=[doc]))
    return merge(results)


@check("recycled_minimum", scopes=("model_year",), params={
    "minimum": ParamSpec("dict"), "from_date": ParamSpec("date"), "elements_by_chemistry": ParamSpec("dict"),
    "basis": ParamSpec("dict")}, reads=DECLARATION_READS)
def recycled_minimum(ctx: Context) -> Outcome:
    """Pre- plus post-consumer share against the minimum in force from `from_date` (Art 8(2)/(3)).
    Before that date the predicate `applies_from` turns a shortfall into a warning."""
    facts: ModelYearFacts = ctx.facts
    docs, others = declarations_for_year(ctx)
    if not docs:
        return _no_declaration(ctx, others)
    doc = docs[0]
    minimum: dict[str, Any] = ctx.param("minimum")
    basis: dict[str, str] = ctx.param("basis")
    values = shares(doc)
    wanted = [el for el in elements_in(facts.model, ctx.param("elements_by_chemistry")) if el in minimum]
    results = []
    for el in wanted:
        pre, post = values.get(el, (None, None))
        if pre is None and post is None:
            results.append(outcome(MISSING, Reason(_("%(element)s: no share declared; the minimum is %(minimum)s "
                                                     "from %(date)s."),
                                                   {"element": el, "minimum": fmt_pct(minimum[el]),
                                                    "date": ctx.param("from_date")}), docs=[doc]))
            continue
        share = (pre or Decimal(0)) + (post or Decimal(0))
        params = {"element": el, "share": fmt_pct(share), "minimum": fmt_pct(minimum[el]),
                  "date": ctx.param("from_date"), "basis": _basis_label(basis.get(el, ""))}
        if share < Decimal(str(minimum[el])):
            results.append(outcome(FAILED, Reason(_("%(element)s: %(share)s recycled (%(basis)s) is below the "
                                                    "%(minimum)s minimum from %(date)s."), params), docs=[doc]))
        else:
            results.append(outcome(MET, Reason(_("%(element)s: %(share)s recycled (%(basis)s) meets the %(minimum)s "
                                                 "minimum from %(date)s."), params), docs=[doc]))
    if not results:
        return outcome(MET, Reason(_("The chemistry of model %(model)s contains none of the materials with a minimum "
                                     "share."), {"model": facts.model.code}))
    return merge(results)


def _basis_label(value: str) -> Any:
    return {"active_material": _("of the element in active materials"),
            "whole_battery": _("of the lead in the battery")}.get(value, value)


# --- Art 7: carbon footprint ----------------------------------------------------------------------

CF_FIELD_LABELS = {
    "a": _("(a) administrative information about the manufacturer"),
    "b": _("(b) information about the battery model"),
    "c": _("(c) geographic location of the manufacturing plant"),
    "d": _("(d) carbon footprint in kg CO2-eq per kWh over the service life"),
    "e": _("(e) carbon footprint per life-cycle stage"),
    "f": _("(f) identification number of the EU declaration of conformity"),
    "g": _("(g) web link to the public version of the supporting study"),
}


def _latest(docs: tuple[Doc, ...] | list[Doc]) -> Doc:
    return max(docs, key=lambda d: (d.effective_date or date.min, d.number))


@check("cf_declaration_fields", scopes=("battery_model",), params={"fields": ParamSpec("dict"),
                                                                 "stages": ParamSpec("list")},
       keyfield_params={"fields": "", "stages": "cf_per_stage."})
def cf_declaration_fields(ctx: Context) -> Outcome | None:
    if not ctx.docs:
        return None
    model: ModelFacts = ctx.facts
    doc = _latest(ctx.docs)
    fields: dict[str, str] = ctx.param("fields")
    results = []
    absent = [letter for letter, key in sorted(fields.items()) if doc.key_fields.get(key) in (None, "", {}, [])]
    if absent:
        results.append(outcome(MISSING, Reason(_("%(doc)s lacks: %(fields)s."),
                                               {"doc": doc_label(doc),
                                                "fields": [CF_FIELD_LABELS.get(letter, letter) for letter in absent]}),
                               docs=[doc]))
    if "d" not in absent:
        value = field_number(doc, fields["d"])
        if value is not None and value <= 0:
            results.append(outcome(FAILED, Reason(_("%(doc)s: a carbon footprint of %(value)s kg CO2-eq/kWh is not "
                                                    "plausible."), {"doc": doc_label(doc), "value": fmt_num(value)}),
                                   docs=[doc]))
    if "e" not in absent:
        stages = field_mapping(doc, fields["e"])
        lacking = [s for s in ctx.param("stages") if stages.get(s) in (None, "")]
        for stage, raw in stages.items():
            to_decimal(raw, doc=doc, key=f"{fields['e']}.{stage}")
        if lacking:
            results.append(outcome(MISSING, Reason(_("%(doc)s gives no value for these life-cycle stages: "
                                                     "%(stages)s."), {"doc": doc_label(doc), "stages": lacking}),
                                   docs=[doc]))
    if "g" not in absent:
        link = field_text(doc, fields["g"])
        if not link.lower().startswith(("https://", "http://")):
            results.append(outcome(FAILED, Reason(_("%(doc)s: “%(link)s” is not a web link."),
                                                  {"doc": doc_label(doc), "link": link}), docs=[doc]))
    if "c" not in absent and model.manufacturing_plant:
        plant = field_text(doc, fields["c"])
        if not names_match(plant, model.manufacturing_plant):
            results.append(outcome(FAILED, Reason(_("%(doc)s is for plant %(plant)s; model %(model)s is made at "
                                                    "%(model_plant)s."),
                                                  {"doc": doc_label(doc), "plant": plant, "model": model.code,
                                                   "model_plant": model.manufacturing_plant}), docs=[doc]))
    if not results:
        value = field_number(doc, fields["d"])
        results.append(outcome(MET, Reason(_("%(doc)s declares fields (a)–(g): %(value)s kg CO2-eq/kWh."),
                                           {"doc": doc_label(doc), "value": fmt_num(value) if value else "—"}),
                               docs=[doc]))
    return merge(results)


@check("cf_performance_class", scopes=("battery_model",), params={"classes": ParamSpec("list")},
       reads={"carbon_footprint_study": ("performance_class",)})
def cf_performance_class(ctx: Context) -> Outcome:
    docs = ctx.docs or tuple(ctx.docs_of("carbon_footprint_study"))
    if not docs:
        return outcome(MISSING, Reason(_("No carbon-footprint declaration gives a performance class yet.")))
    doc = _latest(docs)
    value = field_text(doc, "performance_class").upper()
    classes = [str(c).upper() for c in ctx.param("classes")]
    if not value:
        return outcome(MISSING, Reason(_("%(doc)s gives no performance class (key field “performance_class”)."),
                                       {"doc": doc_label(doc)}), docs=[doc])
    if value not in classes:
        return outcome(FAILED, Reason(_("%(doc)s gives class “%(value)s”; expected one of %(classes)s."),
                                      {"doc": doc_label(doc), "value": value, "classes": classes}), docs=[doc])
    return outcome(MET, Reason(_("%(doc)s: performance class %(value)s."), {"doc": doc_label(doc), "value": value}),
                   docs=[doc])
