"""Battery passport export (Battery Pass data model v1.2): pure mapping from register facts and
accepted evidence to the seven aspect documents, their provenance and what is missing, per
Annex XIII access tier. See docs/exports.md."""
from .facts import DocumentFacts, ModelFacts, PassportFacts, PassportRecordFacts, UnitFacts
from .mapping import (
    DATA_MODEL,
    Missing,
    PassportExport,
    PassportScopeError,
    Problem,
    build_passport,
    missing_count,
    passport_category,
)
from .spec import ASPECT_LABELS, ASPECT_URNS, ASPECTS, PROPS, PROPS_BY_KEY, Prop, Tier

__all__ = [
    "ASPECTS", "ASPECT_LABELS", "ASPECT_URNS", "DATA_MODEL", "PROPS", "PROPS_BY_KEY", "DocumentFacts", "Missing",
    "ModelFacts", "PassportExport", "PassportFacts", "PassportRecordFacts", "PassportScopeError", "Problem", "Prop",
    "Tier", "UnitFacts", "build_passport", "missing_count", "passport_category",
]
