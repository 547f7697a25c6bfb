"""Writes of the register (battery models, units, shipments, lots) and of its bulk import. Each service
checks the role, validates with the pure rules (codes, trade_codes, importing), saves only what it touches
and records the activity entry in the same transaction."""
from .battery_models import battery_model_create, battery_model_update
from .common import refuse
from .imports import import_commit, import_commit_run, import_dry_run, import_progress, report_rows
from .lots import lot_create, lot_update
from .shipments import (
    counterparty_lookup,
    counterparty_slug,
    shipment_create,
    shipment_status_change,
    shipment_update,
)
from .units import unit_create, unit_recode, unit_status_change, unit_update

__all__ = [
    "battery_model_create", "battery_model_update", "counterparty_lookup", "counterparty_slug", "import_commit",
    "import_commit_run", "import_dry_run", "import_progress", "lot_create", "report_rows",
    "lot_update", "refuse", "shipment_create", "shipment_status_change", "shipment_update", "unit_create",
    "unit_recode", "unit_status_change", "unit_update",
]
