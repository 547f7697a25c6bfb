"""Fixtures for exports: an EV battery model with accepted evidence for every aspect (the demo's
key fields), units, and helpers to add evidence revisions. Rows are created directly: the vault's
and register's services are other engineers' work."""
import hashlib
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.evidence.models import Evidence, EvidenceRevision
from apps.exports import keyfields as kf
from apps.exports.demo import DOCUMENTS, MODEL_GTIN, UNIT_DOCUMENTS, UNITS
from apps.traceability.models import BatteryModel, BatteryUnit


def add_evidence(*, doc_type: str, key_fields: dict, status: str = "accepted", model=None, unit=None,
                 title: str = "", number: int = 1, evidence=None, expiry_date=None) -> EvidenceRevision:
    if evidence is None:
        evidence = Evidence.objects.create(doc_type=doc_type, title=title or doc_type)
    if model is not None:
        evidence.battery_models.add(model)
    if unit is not None:
        evidence.units.add(unit)
    sha = hashlib.sha256(f"{evidence.pk}-{number}".encode()).hexdigest()
    return EvidenceRevision.objects.create(
        evidence=evidence, number=number, storage_name=f"test/{sha}", original_filename="doc.pdf", sha256=sha,
        size=100, content_type="application/pdf", key_fields=key_fields, status=status, expiry_date=expiry_date,
        reviewed_at=timezone.now() if status == "accepted" else None,
        reviewed_by_label="manager@example.test" if status == "accepted" else "")


def make_model(**overrides) -> BatteryModel:
    values = {"code": "EVP-TEST", "name": "EV pack", "manufacturer": "Alpha", "eu_category": "ev",
              "chemistry": "ncm", "rated_capacity_ah": Decimal("206"), "rated_energy_kwh": Decimal("75"),
              "nominal_voltage_v": Decimal("364.8"), "mass_kg": Decimal("455"), "plant_country": "CN",
              "gtin": MODEL_GTIN}
    values.update(overrides)
    return BatteryModel.objects.create(**values)


def make_unit(model, code: str = UNITS[0][0], serial: str = UNITS[0][1], **overrides) -> BatteryUnit:
    values = {"code": code, "scheme": "gbt34014", "gtin": model.gtin if model else "", "serial": serial,
              "level": "pack", "model": model, "manufactured_on": date(2026, 3, 5)}
    values.update(overrides)
    return BatteryUnit.objects.create(**values)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; a request in Chinese earlier in the thread must not leak."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def ev_world(alpha, in_tenant):
    """In alpha's schema (kept entered for the test): a complete EV model and one unit with a BMS read-out."""
    with in_tenant(alpha):
        model = make_model()
        for doc_type, (title, key_fields) in DOCUMENTS.items():
            add_evidence(doc_type=doc_type, key_fields=dict(key_fields), model=model, title=title)
        unit = make_unit(model)
        title, key_fields = UNIT_DOCUMENTS[UNITS[0][0]]
        add_evidence(doc_type=kf.RESIDUAL_CAPACITY_REPORT, key_fields=dict(key_fields), unit=unit, title=title)
        yield {"model": model, "unit": unit}
