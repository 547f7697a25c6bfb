"""The register's detail pages (shipment, lot, unit, battery model) list the evidence linked to the object,
with its review status, and offer "attach evidence" to those who may upload."""
import pytest
from django_tenants.utils import schema_context

from apps.evidence import services
from apps.traceability.models import BatteryModel, BatteryUnit, MaterialLot, Shipment
from tests.traceability.factories import gbt_code


def register_objects():
    return {
        "shipment": Shipment.objects.create(reference="SE-2026-0031", direction="outbound", counterparty_name="Eco"),
        "lot": MaterialLot.objects.create(code="BM-31", kind="black_mass", mass_kg=1000),
        "unit": BatteryUnit.objects.create(code=gbt_code("P", 31), scheme="gbt34014", level="pack"),
        "model": BatteryModel.objects.create(code="SEV-NCM-31", name="Pack 31", eu_category="ev", chemistry="ncm"),
    }


PAGES = {"shipment": "/register/shipments/{}/", "lot": "/register/lots/{}/", "unit": "/register/units/{}/",
         "model": "/register/models/{}/"}
LINKS = {"shipment": "shipments", "lot": "lots", "unit": "units", "model": "battery_models"}


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_detail_page_lists_linked_evidence_with_its_status(kind, alpha, people, client_for, upload):
    with schema_context("alpha"):
        objects = register_objects()
        target = objects[kind]
        revision = upload(title=f"Evidence for the {kind}", links=services.Links(**{LINKS[kind]: [target]}))
        services.revision_accept(access=people.manager_access, revision=revision)
        upload(title="Evidence of something else", links=services.Links(shipments=[objects["shipment"]])
               if kind != "shipment" else services.Links(lots=[objects["lot"]]))

    page = client_for(people.viewer, alpha).get(PAGES[kind].format(target.pk)).content.decode()
    assert 'data-testid="linked-evidence"' in page
    assert f"Evidence for the {kind}" in page and "Accepted" in page
    assert "Evidence of something else" not in page
    assert 'data-testid="attach-evidence"' not in page  # a viewer does not upload

    staff_page = client_for(people.staff, alpha).get(PAGES[kind].format(target.pk)).content.decode()
    assert f'?{kind}={target.pk}" data-testid="attach-evidence"' in staff_page

    # and the evidence links back to the register object it is evidence for
    evidence_page = client_for(people.viewer, alpha).get(f"/evidence/{revision.evidence_id}/").content.decode()
    assert f'href="{PAGES[kind].format(target.pk)}"' in evidence_page


def test_detail_page_without_evidence_says_so(alpha, people, client_for, vault):
    with schema_context("alpha"):
        shipment = register_objects()["shipment"]
    page = client_for(people.staff, alpha).get(PAGES["shipment"].format(shipment.pk)).content.decode()
    assert "No evidence yet." in page
