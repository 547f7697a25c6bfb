"""Declared vs received figures (pure: no database access).

A receipt opens a discrepancy when the received net mass differs from the declared one by more than
the tolerance (percent of the declared mass; the default, 0.5 %, follows the physical-vs-book tolerance
of REFERENCE §5.2, a configurable [U] value), or when the unit count differs by more than the unit
tolerance (default 0: every battery is counted).
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Deviation:
    mass_difference_kg: Decimal
    mass_difference_percent: Decimal | None  # None when nothing was declared by mass
    unit_difference: int
    mass_outside: bool
    units_outside: bool

    @property
    def outside_tolerance(self) -> bool:
        return self.mass_outside or self.units_outside

    def as_payload(self) -> dict:
        return {
            "mass_difference_kg": str(self.mass_difference_kg),
            "mass_difference_percent": None if self.mass_difference_percent is None
            else str(self.mass_difference_percent),
            "unit_difference": self.unit_difference,
            "outside_tolerance": self.outside_tolerance,
        }


def compare(*, declared_mass_kg: Decimal, declared_units: int, received_mass_kg: Decimal, received_units: int,
            mass_tolerance_percent: Decimal, unit_tolerance: int) -> Deviation:
    difference = received_mass_kg - declared_mass_kg
    if declared_mass_kg > 0:
        percent = (difference / declared_mass_kg * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        mass_outside = abs(difference) * 100 > mass_tolerance_percent * declared_mass_kg
    else:
        # Nothing declared by mass (units only): any received mass is information, not a deviation.
        percent, mass_outside = None, False
    unit_difference = received_units - declared_units
    return Deviation(mass_difference_kg=difference, mass_difference_percent=percent,
                     unit_difference=unit_difference, mass_outside=mass_outside,
                     units_outside=abs(unit_difference) > unit_tolerance)
