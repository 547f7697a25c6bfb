"""Demo: the protocols each demo organisation follows, and a first evaluation of its shipments, lots
and models (idempotent: a second run adds nothing unless the data or the day changed)."""
from typing import Any

from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.accounts.roles import Role

from .models import ProtocolSelection, Trigger
from .services import organisation_evaluate, selection_set

PROTOCOLS = {
    # exporter: export of used batteries, traceability codes, and the EU obligations of its own models
    "sinoev": ["cn-export-2026", "gbt34014-codes", "eu-art7-carbon-footprint", "eu-art8-recycled-content",
               # registered by apps.exports (extensions.py): passport readiness, platform reporting in time
               "passport-readiness", "cn-platform-reporting"],
    # integrator: codes of what it assembles and the EU obligations of its battery models
    "voltpack": ["gbt34014-codes", "eu-art7-carbon-footprint", "eu-art8-recycled-content", "passport-readiness"],
    # recycler: mass-balance claims on the lots it produces
    "ecocycle": ["iso22095-mass-balance", "cn-platform-reporting"],
}


def seed(context: dict[str, Any]) -> None:
    organisations = context.get("organisations", {})
    for slug, protocol_ids in PROTOCOLS.items():
        organisation = organisations.get(slug)
        if organisation is None:
            continue
        with schema_context(organisation.schema_name):
            if not ProtocolSelection.objects.exists():
                seeder = Access(organisation_id=organisation.pk, role=Role.OWNER, label="demo seed")
                selection_set(access=seeder, protocol_ids=protocol_ids)
            organisation_evaluate(trigger=Trigger.SETUP)
