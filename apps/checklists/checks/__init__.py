"""Named checks and predicates that protocol files refer to (pure: no database access).

Importing this package registers every check; `CHECKS` and `PREDICATES` map names to their spec
(function, scopes they apply to, parameters they take).
"""
from . import codes, eu, massbalance, shipment  # noqa: F401 - registers the checks
from .base import CHECKS, PREDICATES

__all__ = ["CHECKS", "PREDICATES"]
