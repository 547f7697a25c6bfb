import pytest

from apps.checklists.models import ProtocolSelection

ALL_PROTOCOLS = ("cn-export-2026", "gbt34014-codes", "eu-art8-recycled-content", "eu-art7-carbon-footprint",
                 "iso22095-mass-balance")


@pytest.fixture
def select_protocols():
    """`select_protocols("cn-export-2026", ...)` in the current schema (all five when none are named)."""

    def select(*protocol_ids: str) -> None:
        for protocol_id in protocol_ids or ALL_PROTOCOLS:
            ProtocolSelection.objects.get_or_create(protocol_id=protocol_id)

    return select
