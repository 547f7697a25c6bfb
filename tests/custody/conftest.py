"""Fixtures of the custody tests: alpha (exporter) dispatches to beta (recycler); gamma is a third recycler
that must never see their transfers. Shipments, units, masses and the transport manifest are built in the
sender's schema with the register and vault models."""
import hashlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from apps.accounts.roles import Role
from apps.custody import services
from apps.evidence.models import Evidence, EvidenceRevision, EvidenceType
from apps.tenants.models import Organisation
from apps.tenants.services import organisation_create
from apps.traceability.models import BatteryUnit, CodeScheme, Shipment, ShipmentMass, ShipmentUnit, UnitLevel
from tests.conftest import access_for
from tests.evidence.files import make_pdf

GAMMA = {"slug": "gamma", "name_en": "Gamma Recycling S.A.", "name_zh": "伽马回收公司", "kind": "recycler",
         "country": "FR"}
# What a weighbridge ticket states besides the net mass (the vault's `weighbridge_ticket` requires both).
WEIGHED = {"gross_kg": Decimal("15010.000"), "tare_kg": Decimal("14000.000")}


def ensure_gamma() -> Organisation:
    organisation = Organisation.objects.filter(slug="gamma").first() or organisation_create(**GAMMA)
    connection.set_schema_to_public()
    return organisation


@pytest.fixture(scope="session", autouse=True)
def _gamma_schema(django_db_setup, django_db_blocker):
    """Create gamma's schema once, committed (cloning a schema in every test would be slow)."""
    with django_db_blocker.unblock():
        ensure_gamma()


@pytest.fixture
def gamma(organisations) -> Organisation:
    return ensure_gamma()


def pdf(name: str = "ticket.pdf", extra: bytes = b"") -> SimpleUploadedFile:
    """A real PDF (the vault inspects it); `extra` makes its bytes differ from another one's."""
    return SimpleUploadedFile(name, make_pdf(f"{name} {extra.decode(errors='replace')}"),
                              content_type="application/pdf")


@pytest.fixture
def make_shipment(in_tenant):
    counter = {"n": 0}

    def make(organisation, *, reference: str | None = None, masses=None, units: int = 3, manifest: bool = True,
             direction: str = "outbound", dispatch_date: date | None = None, counterparty=None) -> Shipment:
        counter["n"] += 1
        reference = reference or f"SHP-{counter['n']:04d}"
        masses = {"ncm": Decimal("1000.000")} if masses is None else masses
        with in_tenant(organisation):
            shipment = Shipment.objects.create(
                reference=reference, direction=direction, counterparty_name="Beta Recycling GmbH",
                counterparty_organisation_id=counterparty.pk if counterparty else None,
                dispatch_date=dispatch_date or date.today() - timedelta(days=5), hs_code="854931", un_number="UN3480")
            for chemistry, kg in masses.items():
                ShipmentMass.objects.create(shipment=shipment, chemistry=chemistry, net_mass_kg=kg)
            for i in range(units):
                unit = BatteryUnit.objects.create(code=f"{reference}-U{i:03d}".ljust(24, "0")[:24],
                                                  scheme=CodeScheme.GBT34014, level=UnitLevel.PACK)
                ShipmentUnit.objects.create(shipment=shipment, unit=unit)
            if manifest:
                evidence = Evidence.objects.create(doc_type=EvidenceType.TRANSPORT_MANIFEST,
                                                   title=f"CMR {reference}")
                evidence.shipments.add(shipment)
                EvidenceRevision.objects.create(
                    evidence=evidence, number=1, storage_name=f"test/{reference}.pdf", original_filename="cmr.pdf",
                    sha256=hashlib.sha256(reference.encode()).hexdigest(), size=100, content_type="application/pdf")
        return shipment

    return make


@pytest.fixture
def people(alpha, beta, gamma, make_member):
    """One user per (organisation, role) the tests need, with their Access."""
    cache = {}

    def get(organisation, role=Role.STAFF):
        key = (organisation.slug, role)
        if key not in cache:
            user = make_member(organisation, role)
            cache[key] = (user, access_for(user, organisation, role))
        return cache[key]

    return get


@pytest.fixture
def dispatched(alpha, beta, people, make_shipment):
    """A transfer alpha → beta of 1000 kg NCM and 3 units, just dispatched."""
    shipment = make_shipment(alpha)
    _user, access = people(alpha)
    return services.shipment_dispatch(access=access, shipment_id=shipment.pk, receiver_id=beta.pk)


@pytest.fixture
def received(dispatched, beta, people):
    """The same transfer, received within the tolerance."""
    _user, access = people(beta)
    services.transfer_confirm_receipt(access=access, transfer_id=dispatched.pk, received_on=date.today(),
                                      net_mass_kg=Decimal("998.000"), unit_count=3, ticket=pdf(), **WEIGHED)
    dispatched.refresh_from_db()
    return dispatched


@pytest.fixture
def processed(received, beta, people):
    _user, access = people(beta)
    services.transfer_record_processing(
        access=access, transfer_id=received.pk, processed_on=date.today(), lots=[
            services.LotInput(code="BM-001", kind="black_mass", mass_kg=Decimal("420.000"),
                              elements={"Co": Decimal("8.2"), "Ni": Decimal("21.5"), "Li": Decimal("4.1")}),
            services.LotInput(code="NiSO4-001", kind="nickel_sulfate", mass_kg=Decimal("300.000"),
                              elements={"Ni": Decimal("22.0")}),
        ])
    received.refresh_from_db()
    return received
