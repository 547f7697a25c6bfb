"""Passport readiness (pure): for a battery model or unit, each Annex XIII attribute of the
Battery Pass export is present, evidenced and accepted — or what is missing.

`passport_readiness(facts)` is what the checklist protocol `passport-readiness` calls (the check
`passport_ready` in `checklist.py`; see docs/exports.md).
"""
from dataclasses import dataclass

from .passport import PROPS, PassportFacts, Tier, build_passport
from .passport.mapping import ACCEPTED

READY = "ready"  # present and backed by the register or an accepted revision
AWAITING_REVIEW = "awaiting_review"  # present only in a submitted (not yet accepted) revision
REFUSED = "refused"  # present but out of range for the model
MISSING = "missing"
ITEM_LEVEL = "item_level"  # not applicable to a model (read per unit)


@dataclass(frozen=True)
class AttributeReadiness:
    key: str
    aspect: str
    path: str
    label: str
    tier: Tier
    longlist: tuple[int, ...]
    mandatory: bool
    present: bool
    evidenced: bool
    accepted: bool
    state: str
    source: str  # "register", "passport", an evidence document type, or ""
    needs: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class Readiness:
    category: str
    attributes: tuple[AttributeReadiness, ...]

    def count(self, state: str, *, mandatory_only: bool = False) -> int:
        return sum(1 for a in self.attributes if a.state == state and (a.mandatory or not mandatory_only))

    @property
    def mandatory_open(self) -> int:
        return sum(1 for a in self.attributes if a.mandatory and a.state not in (READY, ITEM_LEVEL))

    @property
    def is_ready(self) -> bool:
        return self.mandatory_open == 0


def passport_readiness(facts: PassportFacts) -> Readiness:
    """Raises PassportScopeError for batteries that need no passport."""
    accepted = build_passport(facts, Tier.AUTHORITIES, statuses=ACCEPTED)
    candidate = build_passport(facts, Tier.AUTHORITIES, statuses=frozenset({"accepted", "submitted"}))
    missing = {entry.prop.key: entry for entry in accepted.missing}
    problems = {problem.prop.key: problem.message for problem in accepted.problems + candidate.problems}
    result = []
    for prop in PROPS:
        sources = accepted.provenance[prop.aspect].get(prop.path) or candidate.provenance[prop.aspect].get(prop.path)
        source = sources[0] if sources else {}
        evidenced = source.get("source") == "evidence"
        accepted_value = prop.path in accepted.provenance[prop.aspect]
        if accepted_value:
            state = READY
        elif prop.key in problems:
            state = REFUSED
        elif sources:
            state = AWAITING_REVIEW
        elif prop.key in missing and missing[prop.key].reason == "item_level":
            state = ITEM_LEVEL
        else:
            state = MISSING
        result.append(AttributeReadiness(
            key=prop.key, aspect=prop.aspect, path=prop.path, label=str(prop.label), tier=prop.tier,
            longlist=prop.longlist, mandatory=prop.mandatory(accepted.category), present=bool(sources),
            evidenced=evidenced, accepted=accepted_value,
            state=state, source=source.get("documentType") or source.get("source", ""),
            needs=missing[prop.key].needs if prop.key in missing else (), message=problems.get(prop.key, "")))
    return Readiness(category=accepted.category, attributes=tuple(result))
