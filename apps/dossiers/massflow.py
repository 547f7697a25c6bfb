"""Material flow, mass balance and recycled content of a dossier (pure: computed from the snapshot).

Inputs are the shipments in scope (the net mass the recycler confirmed receiving in the custody
ledger, else the declared net mass), the black-mass lots made from them and the recovered products
refined from that black mass (from the register, or recorded by the recycler in custody). Element
masses are lot mass x assay percent. For a battery model and year, the declared shares of accepted
recycled-content declarations are set against the Art 8 minimums (`declared_rows`).
Recycled content follows Art 8 of Regulation (EU) 2023/1542: the shares of Co, Li, Ni recovered from
battery manufacturing waste (pre-consumer) or post-consumer waste, and of Pb recovered from waste
[REFERENCE §1.3, source HAUFE-ART8]; the minimum shares are shown beside the computed ones.
"""
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .snapshot import FlowLot, MaterialFlow, RecycledDeclaration

ART8_ELEMENTS = ("Co", "Li", "Ni", "Pb")
# Art 8(2) from 18 Aug 2031 and Art 8(3) from 18 Aug 2036, percent [REFERENCE §1.3, HAUFE-ART8].
ART8_MINIMUM_2031 = {"Co": Decimal(16), "Li": Decimal(6), "Ni": Decimal(6), "Pb": Decimal(85)}
ART8_MINIMUM_2036 = {"Co": Decimal(26), "Li": Decimal(12), "Ni": Decimal(15), "Pb": Decimal(85)}
RECYCLED_ORIGINS = ("pre_consumer", "post_consumer", "mixed")
QUANT = Decimal("0.001")


def _dec(value: str) -> Decimal:
    try:
        return Decimal(value or "0")
    except InvalidOperation:
        return Decimal(0)


@dataclass(frozen=True)
class BalanceRow:
    stage: str  # "black_mass" (used batteries -> black mass) or "recovery" (black mass -> products)
    input_kg: Decimal
    output_kg: Decimal

    @property
    def yield_percent(self) -> Decimal | None:
        if not self.input_kg:
            return None
        return (self.output_kg * 100 / self.input_kg).quantize(Decimal("0.1"))

    @property
    def difference_kg(self) -> Decimal:
        return self.input_kg - self.output_kg


@dataclass(frozen=True)
class ElementBalance:
    element: str
    in_black_mass_kg: Decimal
    in_products_kg: Decimal

    @property
    def recovery_percent(self) -> Decimal | None:
        if not self.in_black_mass_kg:
            return None
        return (self.in_products_kg * 100 / self.in_black_mass_kg).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class RecycledContentRow:
    element: str
    pre_consumer_kg: Decimal
    post_consumer_kg: Decimal
    primary_kg: Decimal
    minimum_2031: Decimal
    minimum_2036: Decimal

    @property
    def total_kg(self) -> Decimal:
        return self.pre_consumer_kg + self.post_consumer_kg + self.primary_kg

    @property
    def recycled_percent(self) -> Decimal | None:
        if not self.total_kg:
            return None
        return ((self.pre_consumer_kg + self.post_consumer_kg) * 100 / self.total_kg).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class RecycledInput:
    lot: str
    kind: str
    origin: str
    mass_kg: Decimal
    element: str
    percent: Decimal
    element_kg: Decimal


def element_kg(lot: FlowLot, element: str) -> Decimal:
    for symbol, percent in lot.elements:
        if symbol == element:
            return (_dec(lot.mass_kg) * _dec(percent) / 100).quantize(QUANT)
    return Decimal(0)


def input_kg(flow: MaterialFlow) -> Decimal:
    """Used batteries in: received per the custody ledger where confirmed, else declared."""
    return sum((_dec(s.received_kg or s.mass_kg) for s in flow.shipments), Decimal(0))


def mass_balance(flow: MaterialFlow) -> tuple[BalanceRow, ...]:
    shipped = input_kg(flow)
    black = sum((_dec(lot.mass_kg) for lot in flow.black_mass), Decimal(0))
    recovered = sum((_dec(lot.mass_kg) for lot in flow.recovered), Decimal(0))
    return (BalanceRow("black_mass", shipped, black), BalanceRow("recovery", black, recovered))


def element_balance(flow: MaterialFlow) -> tuple[ElementBalance, ...]:
    symbols = sorted({s for lot in flow.black_mass + flow.recovered for s, _ in lot.elements})
    return tuple(ElementBalance(s, sum((element_kg(lot, s) for lot in flow.black_mass), Decimal(0)),
                                sum((element_kg(lot, s) for lot in flow.recovered), Decimal(0)))
                 for s in symbols)


def recycled_content(flow: MaterialFlow) -> tuple[tuple[RecycledContentRow, ...], tuple[RecycledInput, ...]]:
    """Per Art 8 element: recycled (pre-/post-consumer) and primary mass in the recovered products."""
    rows, inputs = [], []
    for symbol in ART8_ELEMENTS:
        by_origin = {"pre_consumer": Decimal(0), "post_consumer": Decimal(0), "primary": Decimal(0)}
        for lot in flow.recovered:
            kg = element_kg(lot, symbol)
            if not kg:
                continue
            origin = "post_consumer" if lot.origin == "mixed" else lot.origin
            by_origin[origin if origin in by_origin else "primary"] += kg
            percent = next(_dec(p) for s, p in lot.elements if s == symbol)
            inputs.append(RecycledInput(lot.code, lot.kind, lot.origin, _dec(lot.mass_kg), symbol, percent, kg))
        rows.append(RecycledContentRow(symbol, by_origin["pre_consumer"], by_origin["post_consumer"],
                                       by_origin["primary"], ART8_MINIMUM_2031[symbol], ART8_MINIMUM_2036[symbol]))
    return tuple(rows), tuple(inputs)


@dataclass(frozen=True)
class DeclaredRow:
    element: str
    pre_consumer_percent: Decimal | None
    post_consumer_percent: Decimal | None
    minimum_2031: Decimal | None
    minimum_2036: Decimal | None

    @property
    def total_percent(self) -> Decimal | None:
        if self.pre_consumer_percent is None and self.post_consumer_percent is None:
            return None
        return (self.pre_consumer_percent or Decimal(0)) + (self.post_consumer_percent or Decimal(0))

    def meets(self, minimum: Decimal | None) -> bool | None:
        total = self.total_percent
        return None if minimum is None or total is None else total >= minimum


def _percent(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value not in ("", None) else None
    except InvalidOperation:
        return None


def declared_rows(declaration: RecycledDeclaration) -> tuple[DeclaredRow, ...]:
    """Each declared element with its pre- and post-consumer share, their total and the Art 8 minimums."""
    return tuple(DeclaredRow(share.element, _percent(share.pre_consumer_pct), _percent(share.post_consumer_pct),
                             ART8_MINIMUM_2031.get(share.element), ART8_MINIMUM_2036.get(share.element))
                 for share in declaration.shares)
