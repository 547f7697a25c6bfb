"""Fixtures of the register tests: accesses per role, valid codes, units and shipments built through services."""
import io
from datetime import date
from decimal import Decimal

import pytest

from apps.accounts.access import Access
from apps.accounts.roles import Role
from apps.traceability import services
from apps.traceability.codes import gs1_check_digit

from .factories import gbt_code


@pytest.fixture
def staff(alpha, member_access):
    """(user, access) of a staff member of alpha."""
    return member_access(alpha, Role.STAFF)


@pytest.fixture
def alpha_access(staff) -> Access:
    return staff[1]


@pytest.fixture
def tenant(alpha, in_tenant):
    with in_tenant(alpha):
        yield alpha


@pytest.fixture
def ev_model(tenant, alpha_access):
    return services.battery_model_create(access=alpha_access, code="EV-NCM-75", name="EV pack 75 kWh",
                                         eu_category="ev", chemistry="ncm", rated_energy_kwh=Decimal("75"),
                                         mass_kg=Decimal("450"))


@pytest.fixture
def pack_tree(tenant, alpha_access, ev_model):
    """One pack with two modules of three cells each (valid GB/T 34014 codes)."""
    pack = services.unit_create(access=alpha_access, code=gbt_code("P", 1), level="pack", model_code=ev_model.code,
                                manufactured_on=date(2024, 3, 1))
    modules, cells = [], []
    for m in range(2):
        module = services.unit_create(access=alpha_access, code=gbt_code("M", 10 + m), level="module",
                                      parent_code=pack.code)
        modules.append(module)
        for c in range(3):
            cells.append(services.unit_create(access=alpha_access, code=gbt_code("C", 100 + m * 10 + c),
                                              level="cell", parent_code=module.code))
    return {"pack": pack, "modules": modules, "cells": cells}


def gtin13(body12: str) -> str:
    return body12 + str(gs1_check_digit(body12))


@pytest.fixture
def csv_file():
    """`csv_file(text, encoding="utf-8")` -> a binary file object like an upload."""
    def make(text: str, encoding: str = "utf-8") -> io.BytesIO:
        return io.BytesIO(text.encode(encoding))
    return make
