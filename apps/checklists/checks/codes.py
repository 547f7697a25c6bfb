"""Traceability-code integrity of the units in a shipment (GB/T 34014, GS1, EU passport identifier):
every unit coded, codes valid and unique, pack → module → cell relations complete, cascade-use
products re-coded keeping their original code. Linear in the number of units (100,000 in a few
hundred milliseconds): one pass each, dictionaries instead of nested loops."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import cache

from django.utils.translation import gettext_lazy as _

from ..facts import ShipmentFacts, Unit
from .base import FAILED, MET, Context, Outcome, ParamSpec, Reason, check, outcome
from .shipment import is_cascade, merge

S = ("shipment",)
EXAMPLES = 5
CSET82 = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$")


def _examples(values: list[str]) -> str:
    shown = ", ".join(values[:EXAMPLES])
    return shown + (f" … (+{len(values) - EXAMPLES})" if len(values) > EXAMPLES else "")


WHITESPACE = str.maketrans("", "", " \t\r\n")


def normalise(code: str) -> str:
    """Upper case without spaces, tabs or line breaks (as snapshot._norm does in SQL)."""
    return code.upper() if code.isalnum() else code.translate(WHITESPACE).upper()


def gs1_check_digit_ok(digits: str) -> bool:
    """GS1 mod-10: weights 3,1,3,… from the rightmost data digit [REFERENCE §3.2, GS1-CSUM]."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    body, check_digit = digits[:-1], int(digits[-1])
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check_digit


@cache
def _compiled(patterns: tuple[str, ...]) -> re.Pattern | None:
    """The scheme's patterns as one alternation: one match per code."""
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def code_problem(unit: Unit, patterns: dict[str, list[str]]) -> str | None:
    """None when valid, else a short tag of what is wrong (for grouping in the reasons)."""
    code = unit.code.strip()
    if unit.scheme == "gs1":
        gtin = unit.gtin or (code[2:16] if code.startswith("01") else code[:14])
        serial = unit.serial or (code[18:] if code.startswith("01") and code[16:18] == "21" else "")
        if len(gtin) != 14 or not gs1_check_digit_ok(gtin):
            return "gs1_gtin"
        if serial and not CSET82.match(serial):
            return "gs1_serial"
        return None
    compiled = _compiled(tuple(patterns.get(unit.scheme, [])))
    if compiled is not None and not compiled.match(code):
        return unit.scheme
    return None


@check("units_coded", scopes=S)
def units_coded(ctx: Context) -> Outcome:
    facts: ShipmentFacts = ctx.facts
    blank = [u for u in facts.units if not u.code.strip()]
    if blank:
        return outcome(FAILED, Reason(_("%(count)s of %(total)s units have no code (unit ids %(ids)s)."),
                                      {"count": len(blank), "total": len(facts.units),
                                       "ids": _examples([u.id[:8] for u in blank])}))
    return outcome(MET, Reason(_("All %(total)s units carry a code."), {"total": len(facts.units)}))


SCHEME_LABELS = {"gbt34014": _("GB/T 34014 codes"), "gs1_gtin": _("GS1 GTINs (check digit)"),
                 "gs1_serial": _("GS1 serial numbers (CSET 82, up to 20 characters)"),
                 "eu_passport": _("EU passport identifiers")}


@check("codes_valid", scopes=S, params={"patterns": ParamSpec("dict"), "strict_serial": ParamSpec("string")})
def codes_valid(ctx: Context) -> Outcome:
    facts: ShipmentFacts = ctx.facts
    patterns: dict[str, list[str]] = ctx.param("patterns")
    problems: dict[str, list[str]] = defaultdict(list)
    coded = [u for u in facts.units if u.code.strip()]
    gbt = _compiled(tuple(patterns.get("gbt34014", [])))
    gbt_codes = [u.code.strip() for u in coded if u.scheme == "gbt34014"]
    if gbt is not None:  # the common case in one comprehension, without per-unit lookups
        match = gbt.match
        problems["gbt34014"] = [code for code in gbt_codes if not match(code)]
    for unit in coded:
        if unit.scheme == "gbt34014" and gbt is not None:
            continue
        problem = code_problem(unit, patterns)
        if problem:
            problems[problem].append(unit.code.strip())
    problems = {tag: codes for tag, codes in problems.items() if codes}
    results = [outcome(FAILED, Reason(_("%(count)s codes are not valid %(scheme)s: %(examples)s."),
                                      {"count": len(codes), "scheme": SCHEME_LABELS.get(tag, tag),
                                       "examples": _examples(codes)}))
               for tag, codes in sorted(problems.items())]
    strict = re.compile(ctx.param("strict_serial")).match
    invalid = set(problems.get("gbt34014", []))
    lettered = [code for code in gbt_codes if len(code) == 24 and not strict(code) and code not in invalid]
    if lettered:
        results.append(outcome(MET, Reason(_("%(count)s GB/T 34014 codes have letters in the serial number: accepted "
                                             "by some manufacturers, not by the Catena-X pattern (%(examples)s)."),
                                           {"count": len(lettered), "examples": _examples(lettered)})))
    if not problems:
        results.insert(0, outcome(MET, Reason(_("All %(total)s codes are valid."), {"total": len(coded)})))
    return merge(results)


@check("codes_unique", scopes=S)
def codes_unique(ctx: Context) -> Outcome:
    facts: ShipmentFacts = ctx.facts
    known = [u for u in facts.units + facts.descendants if u.code.strip()]
    counts = Counter(normalise(u.code) for u in known)
    results: list[Outcome] = []
    twice = sorted(code for code, n in counts.items() if n > 1)
    if twice:
        results.append(outcome(FAILED, Reason(_("%(count)s codes appear more than once in this shipment: "
                                                "%(examples)s."), {"count": len(twice), "examples": _examples(twice)})))
    clashes = sorted(f"{code} ≈ {', '.join(others)}" for code, others in facts.code_clashes.items())
    if clashes:
        results.append(outcome(FAILED, Reason(_("%(count)s codes are also registered for other units, differing only "
                                                "in case or spaces: %(examples)s."),
                                              {"count": len(clashes), "examples": _examples(clashes)})))
    by_id = {u.id: u for u in facts.units}
    elsewhere = sorted(f"{by_id[uid].code} → {', '.join(refs)}" for uid, refs in facts.other_shipments.items()
                       if uid in by_id)
    if elsewhere:
        results.append(outcome(FAILED, Reason(_("%(count)s units are also in other shipments that are not "
                                                "cancelled: %(examples)s."),
                                              {"count": len(elsewhere), "examples": _examples(elsewhere)})))
    if not results:
        results.append(outcome(MET, Reason(_("All %(total)s codes are unique, here and across shipments."),
                                           {"total": len(known)})))
    return merge(results)


@check("hierarchy_complete", scopes=S, params={"allow_cell_in_pack": ParamSpec("bool")})
def hierarchy_complete(ctx: Context) -> Outcome:
    """Packs have modules, modules have cells, and each child hangs under the level above it."""
    facts: ShipmentFacts = ctx.facts
    allow_cell_in_pack = ctx.param("allow_cell_in_pack")
    everything = facts.units + facts.descendants
    level_of = {u.id: u.level for u in everything}
    with_children = {u.parent_id for u in everything if u.parent_id}
    empty_packs = [u.code for u in everything if u.level == "pack" and u.id not in with_children]
    empty_modules = [u.code for u in everything if u.level == "module" and u.id not in with_children]
    allowed = {("module", "pack"), ("cell", "module")} | ({("cell", "pack")} if allow_cell_in_pack else set())
    # A child whose parent is known and of a level it may not hang under (packs hang under nothing).
    wrong = [u for u in everything if u.parent_id in level_of
             and (u.level, level_of[u.parent_id]) not in allowed]
    code_of = {u.id: u.code for u in everything} if wrong else {}
    misplaced = [f"{u.code} ({u.level}) ← {code_of[u.parent_id]} ({level_of[u.parent_id]})" for u in wrong]
    units = level_of
    results = []
    if empty_packs:
        results.append(outcome(FAILED, Reason(_("%(count)s packs have no modules registered: %(examples)s."),
                                              {"count": len(empty_packs), "examples": _examples(sorted(empty_packs))})))
    if empty_modules:
        results.append(outcome(FAILED, Reason(_("%(count)s modules have no cells registered: %(examples)s."),
                                              {"count": len(empty_modules),
                                               "examples": _examples(sorted(empty_modules))})))
    if misplaced:
        results.append(outcome(FAILED, Reason(_("%(count)s units hang under the wrong level: %(examples)s."),
                                              {"count": len(misplaced), "examples": _examples(sorted(misplaced))})))
    if not results:
        levels = Counter(units.values())
        results.append(outcome(MET, Reason(_("Pack → module → cell relations are complete (%(packs)s packs, "
                                             "%(modules)s modules, %(cells)s cells)."),
                                           {"packs": levels["pack"], "modules": levels["module"],
                                            "cells": levels["cell"]})))
    return merge(results)


@check("cascade_recoded", scopes=S, params={"cascade_statuses": ParamSpec("list"), "patterns": ParamSpec("dict")})
def cascade_recoded(ctx: Context) -> Outcome:
    facts: ShipmentFacts = ctx.facts
    statuses = ctx.param("cascade_statuses")
    patterns: dict[str, list[str]] = ctx.param("patterns")
    cascade = [u for u in facts.units if is_cascade(u, statuses)]
    no_original = [u.code for u in cascade if not u.original_code.strip()]
    not_recoded = [u.code for u in cascade if u.original_code.strip()
                   and normalise(u.original_code) == normalise(u.code)]
    bad_original = [f"{u.code} ← {u.original_code}" for u in cascade if u.original_code.strip()
                    and u.scheme == "gbt34014"
                    and code_problem(Unit(id=u.id, code=u.original_code, scheme="gbt34014"), patterns)]
    originals = Counter(normalise(u.original_code) for u in cascade if u.original_code.strip())
    shared = sorted(code for code, n in originals.items() if n > 1)
    shared += sorted(f"{code} ≈ {', '.join(others)}" for code, others in facts.original_code_clashes.items())
    results = []
    if no_original:
        results.append(outcome(FAILED, Reason(_("%(count)s cascade-use units do not keep their original code: "
                                                "%(examples)s."),
                                              {"count": len(no_original), "examples": _examples(sorted(no_original))})))
    if not_recoded:
        results.append(outcome(FAILED, Reason(_("%(count)s cascade-use units were not re-coded (the code equals the "
                                                "original code): %(examples)s."),
                                              {"count": len(not_recoded), "examples": _examples(sorted(not_recoded))})))
    if bad_original:
        results.append(outcome(FAILED, Reason(_("%(count)s original codes are not valid GB/T 34014 codes: "
                                                "%(examples)s."),
                                              {"count": len(bad_original),
                                               "examples": _examples(sorted(bad_original))})))
    if shared:
        results.append(outcome(FAILED, Reason(_("%(count)s original codes are claimed by more than one unit: "
                                                "%(examples)s."),
                                              {"count": len(shared), "examples": _examples(shared)})))
    if not results:
        results.append(outcome(MET, Reason(_("%(count)s cascade-use units are re-coded and keep their original code."),
                                           {"count": len(cascade)})))
    return merge(results)
