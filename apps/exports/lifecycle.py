"""What a battery-status change does to its passport (pure) [REFERENCE §1.7, BP-CG pp.49-56].

- Preparation for re-use / repurposing, repurposing, remanufacturing: the battery is placed on the
  market again by the operator who did it, with a NEW passport linked to the original (Art 77(7)).
- Re-use (repair without becoming waste): the SAME passport, status updated.
- Waste: the same passport, status updated; responsibility may move to a producer-responsibility
  organisation or waste operator. The passport ends once the battery is recycled (Art 77(8)).
A cascade-use product re-coded under GB/T 34014 keeps its original code [REFERENCE §2.1].
"""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

NEW_PASSPORT = "new_passport"
SAME_PASSPORT = "same_passport"

RULES: dict[str, str] = {
    "repurposed": NEW_PASSPORT,
    "remanufactured": NEW_PASSPORT,
    "reused": SAME_PASSPORT,
    "waste": SAME_PASSPORT,
}

# Allowed transitions of the battery status (Annex XIII 4(c)); "waste" is final for the passport.
TRANSITIONS: dict[str, frozenset[str]] = {
    "original": frozenset({"repurposed", "reused", "remanufactured", "waste"}),
    "reused": frozenset({"repurposed", "reused", "remanufactured", "waste"}),
    "repurposed": frozenset({"repurposed", "remanufactured", "waste"}),
    "remanufactured": frozenset({"repurposed", "reused", "remanufactured", "waste"}),
    "waste": frozenset(),
}

MSG_TRANSITION = _("A battery with status “%(current)s” cannot become “%(target)s”.")
MSG_ORIGINAL_CODE = _("A re-coded cascade-use unit must keep the original code %(code)s (GB/T 34014).")


@dataclass(frozen=True)
class StatusChange:
    effect: str
    allowed: bool
    message: str = ""


def status_change(current: str, target: str) -> StatusChange:
    if target not in TRANSITIONS.get(current, frozenset()):
        return StatusChange(effect="", allowed=False,
                            message=str(MSG_TRANSITION) % {"current": current, "target": target})
    return StatusChange(effect=RULES[target], allowed=True)


def keeps_original_code(*, old_code: str, old_original_code: str, new_original_code: str) -> bool:
    """A re-coded unit must point at the first code of the chain (its predecessor's original code,
    or the predecessor's own code when that was the first)."""
    return new_original_code == (old_original_code or old_code)
