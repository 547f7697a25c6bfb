"""The Battery Pass v1.2 properties Cellpass exports, each with its Annex XIII access tier, the
attribute-longlist rows it covers and where it is mandatory.

Access tiers and mandatory flags come from the Battery Pass attribute longlist v1.2 [REFERENCE §4.4,
source BP-ATTR]; the Annex XIII points behind them are in REFERENCE §1.7 [BP-CG Fig. 12].
Property names and enumerations are the model's own spellings, typos included [REFERENCE §4.2].
"""
from dataclasses import dataclass
from enum import IntEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Tier(IntEnum):
    """Annex XIII audiences, each seeing everything the ones before it see.

    Point 1 is public; points 2 and 4 are for persons with a legitimate interest (point 2 also for
    the Commission); point 3 for notified bodies, market-surveillance authorities and the
    Commission, who also act with a legitimate interest, hence the cumulative order.
    """

    PUBLIC = 0
    LEGITIMATE_INTEREST = 1
    AUTHORITIES = 2

    @property
    def slug(self) -> str:
        return TIER_SLUGS[self]

    @property
    def label(self) -> Promise:
        return TIER_LABELS[self]

    @classmethod
    def from_slug(cls, slug: str) -> "Tier | None":
        return next((tier for tier, name in TIER_SLUGS.items() if name == slug), None)


TIER_SLUGS = {Tier.PUBLIC: "public", Tier.LEGITIMATE_INTEREST: "legitimate_interest", Tier.AUTHORITIES: "authorities"}
TIER_LABELS = {
    Tier.PUBLIC: _("Public"),
    Tier.LEGITIMATE_INTEREST: _("Persons with a legitimate interest"),
    Tier.AUTHORITIES: _("Notified bodies, market surveillance, Commission"),
}

GPI = "GeneralProductInformation"
CF = "CarbonFootprintForBatteries"
CIRC = "Circularity"
MAT = "MaterialComposition"
PERF = "PerformanceAndDurability"
LAB = "Labeling"
DD = "SupplyChainDueDiligence"
ASPECTS = (GPI, CF, CIRC, MAT, PERF, LAB, DD)
ASPECT_URNS = {
    GPI: "urn:samm:io.BatteryPass.GeneralProductInformation:1.2.0#GeneralProductInformation",
    CF: "urn:samm:io.BatteryPass.CarbonFootprint:1.2.0#CarbonFootprintForBatteries",
    CIRC: "urn:samm:io.BatteryPass.Circularity:1.2.0#Circularity",
    MAT: "urn:samm:io.BatteryPass.MaterialComposition:1.2.0#MaterialComposition",
    PERF: "urn:samm:io.BatteryPass.Performance:1.2.1#PerformanceAndDurability",
    LAB: "urn:samm:io.BatteryPass.Labels:1.2.0#Labeling",
    DD: "urn:samm:io.BatteryPass.SupplyChainDueDiligence:1.2.0#SupplyChainDueDiligence",
}
ASPECT_LABELS = {
    GPI: _("General product information"),
    CF: _("Carbon footprint"),
    CIRC: _("Circularity"),
    MAT: _("Material composition"),
    PERF: _("Performance and durability"),
    LAB: _("Labels and conformity"),
    DD: _("Supply-chain due diligence"),
}

# Battery Pass categories (BatteryCategoryEnum) [REFERENCE §1.1, BP-GPI-TTL].
ALL = frozenset({"ev", "lmt", "industrial", "stationary"})
LMT_STAT = frozenset({"lmt", "stationary"})
NONE: frozenset[str] = frozenset()

P, LI, AU = Tier.PUBLIC, Tier.LEGITIMATE_INTEREST, Tier.AUTHORITIES


@dataclass(frozen=True)
class Prop:
    aspect: str
    path: str  # dotted path inside the aspect document
    tier: Tier
    longlist: tuple[int, ...]  # rows of the attribute longlist (REFERENCE §4.4)
    item_level: bool
    mandatory_for: frozenset[str]
    schema_required: bool
    label: Promise

    @property
    def key(self) -> str:
        return f"{self.aspect}.{self.path}"

    def mandatory(self, category: str | None) -> bool:
        return category in self.mandatory_for if category else bool(self.mandatory_for)


def _p(aspect, path, tier, longlist, item, mandatory, required, label) -> Prop:
    return Prop(aspect, path, tier, tuple(longlist), item, mandatory, required, label)


TP = "batteryTechicalProperties"  # sic (upstream spelling)
BC = "batteryCondition"

PROPS: tuple[Prop, ...] = (
    _p(GPI, "productIdentifier", P, [2], True, ALL, True, _("Battery identifier")),
    _p(GPI, "batteryPassportIdentifier", P, [1], True, ALL, True, _("Battery passport identifier")),
    _p(GPI, "batteryCategory", P, [9], False, ALL, True, _("Battery category")),
    _p(GPI, "manufacturerInformation", P, [4], False, ALL, True, _("Manufacturer")),
    _p(GPI, "manufacturingDate", P, [6], True, ALL, True, _("Manufacturing date")),
    _p(GPI, "batteryStatus", LI, [11], True, ALL, True, _("Battery status")),
    _p(GPI, "batteryMass", P, [10], False, ALL, True, _("Battery mass (kg)")),
    _p(GPI, "manufacturingPlace", P, [5], False, ALL, True, _("Manufacturing place")),
    _p(GPI, "operatorInformation", P, [3], True, NONE, True, _("Economic operator")),
    _p(GPI, "puttingIntoService", LI, [7], True, LMT_STAT, True, _("Date of putting into service")),
    _p(GPI, "warrentyPeriod", P, [8], False, ALL, True, _("Warranty period")),

    _p(CF, "batteryCarbonFootprint", P, [19], False, ALL, True, _("Carbon footprint (kg CO2e/kWh)")),
    _p(CF, "carbonFootprintPerLifecycleStage", P, [20, 21, 22, 23], False, ALL, True,
       _("Carbon footprint per life-cycle stage (%)")),
    _p(CF, "carbonFootprintPerformanceClass", P, [24], False, ALL, True, _("Carbon footprint performance class")),
    _p(CF, "carbonFootprintStudy", P, [25], False, ALL, True, _("Public carbon footprint study")),
    _p(CF, "absoluteCarbonFootprint", P, [27], False, NONE, False, _("Absolute carbon footprint (kg CO2e)")),

    _p(CIRC, "dismantlingAndRemovalInformation", LI, [36], False, ALL, True, _("Dismantling and removal information")),
    _p(CIRC, "sparePartSources", LI, [37, 38], False, ALL, True, _("Spare parts: part numbers and sources")),
    _p(CIRC, "recycledContent", P, [40, 41, 42, 43, 44, 45, 46, 47], False, ALL, True,
       _("Recycled content (pre- and post-consumer, %)")),
    _p(CIRC, "renewableContent", P, [48], False, ALL, True, _("Renewable content (%)")),
    _p(CIRC, "safetyMeasures.safetyInstructions", LI, [39], False, ALL, True, _("Safety instructions")),
    _p(CIRC, "safetyMeasures.extinguishingAgent", P, [15], False, ALL, True, _("Usable extinguishing agent")),
    _p(CIRC, "endOfLifeInformation", P, [49, 50, 51], False, ALL, True,
       _("Waste prevention, separate collection and end-of-life information")),

    _p(MAT, "batteryChemistry", P, [31], False, ALL, True, _("Battery chemistry")),
    _p(MAT, "batteryMaterials", P, [32, 33], False, ALL, True,
       _("Battery materials (critical raw materials public; full composition for legitimate interest)")),
    _p(MAT, "hazardousSubstances", P, [34, 35], False, ALL, True, _("Hazardous substances and their impact")),

    _p(PERF, f"{TP}.originalPowerCapability", P, [62], False, ALL, True, _("Original power capability (W)")),
    _p(PERF, f"{TP}.ratedMaximumPower", P, [65], False, ALL, True, _("Maximum permitted power (W)")),
    _p(PERF, f"{TP}.powerCapabilityRatio", P, [66], False, NONE, True, _("Power-to-energy ratio (W/Wh)")),
    _p(PERF, f"{TP}.ratedEnergy", P, [55], False, NONE, True, _("Rated energy (kWh)")),
    _p(PERF, f"{TP}.expectedNumberOfCycles", P, [77], False, ALL, True, _("Expected lifetime (cycles)")),
    _p(PERF, f"{TP}.initialSelfDischarge", LI, [71], False, NONE, True, _("Initial self-discharge rate (%)")),
    _p(PERF, f"{TP}.roundtripEfficiency", P, [67], False, ALL, True, _("Initial round-trip efficiency (%)")),
    _p(PERF, f"{TP}.ratedCapacity", P, [52], False, ALL, True, _("Rated capacity (Ah)")),
    _p(PERF, f"{TP}.initialInternalResistance", P, [74], False, ALL, True, _("Initial internal resistance (Ω)")),
    _p(PERF, f"{TP}.expectedLifetime", LI, [76], False, ALL, True, _("Expected lifetime (years)")),
    _p(PERF, f"{TP}.cRate", P, [80], False, ALL, False, _("C-rate")),
    _p(PERF, f"{TP}.nominalVoltage", P, [61], False, ALL, True, _("Nominal voltage (V)")),
    _p(PERF, f"{TP}.minimumVoltage", P, [59], False, ALL, True, _("Minimum voltage (V)")),
    _p(PERF, f"{TP}.maximumVoltage", P, [60], False, ALL, True, _("Maximum voltage (V)")),
    _p(PERF, f"{TP}.capacityThresholdForExhaustion", P, [83], False, frozenset({"ev"}), True,
       _("Capacity threshold for exhaustion (%)")),
    _p(PERF, f"{TP}.lifetimeReferenceTest", P, [79], False, ALL, True, _("Cycle-life reference test")),
    _p(PERF, f"{TP}.cRateLifeCycleTest", P, [80], False, ALL, True, _("C-rate of the cycle-life test")),
    _p(PERF, f"{TP}.temperatureRangeIdleState", P, [85, 86], False, ALL, True,
       _("Idle-state temperature range (°C)")),
    _p(PERF, f"{TP}.roundTripEfficiencyat50PerCentCycleLife", P, [68], False, ALL, True,
       _("Round-trip efficiency at 50 % of cycle life (%)")),
    _p(PERF, f"{TP}.roundTripEfficiencyFade", LI, [70], False, ALL, True, _("Round-trip efficiency fade (%)")),
    _p(PERF, f"{TP}.powerFade", LI, [64], False, ALL, True, _("Power fade (%)")),
    _p(PERF, f"{BC}.energyThroughput", LI, [81], True, LMT_STAT, True, _("Energy throughput (kWh)")),
    _p(PERF, f"{BC}.capacityThroughput", LI, [82], True, LMT_STAT, True, _("Capacity throughput (Ah)")),
    _p(PERF, f"{BC}.numberOfFullCycles", LI, [78], True, ALL, True, _("Number of full cycles")),
    _p(PERF, f"{BC}.stateOfCertifiedEnergy", LI, [57], True, frozenset({"ev"}), True,
       _("State of certified energy (%)")),
    _p(PERF, f"{BC}.capacityFade", LI, [54], True, ALL, True, _("Capacity fade (%)")),
    _p(PERF, f"{BC}.remainingEnergy", LI, [56], True, NONE, True, _("Remaining usable energy (kWh)")),
    _p(PERF, f"{BC}.remainingCapacity", LI, [53], True, LMT_STAT, True, _("Remaining capacity (Ah)")),
    _p(PERF, f"{BC}.negativeEvents", LI, [91, 92, 93], True, ALL, True, _("Negative events and accidents")),
    _p(PERF, f"{BC}.temperatureInformation", LI, [84, 87, 88, 89, 90], True, ALL, True,
       _("Time spent at extreme temperatures (min)")),
    _p(PERF, f"{BC}.remainingPowerCapability", LI, [63], True, LMT_STAT, True, _("Remaining power capability (W)")),
    _p(PERF, f"{BC}.evolutionOfSelfDischarge", LI, [73], True, frozenset({"stationary"}), True,
       _("Evolution of self-discharge (%)")),
    _p(PERF, f"{BC}.currentSelfDischargingRate", LI, [72], True, NONE, True, _("Current self-discharge rate (%)")),
    _p(PERF, f"{BC}.internalResistanceIncrease", LI, [75], True, ALL, True, _("Internal resistance increase (%)")),
    _p(PERF, f"{BC}.remainingRoundTripEnergyEfficiency", LI, [69], True, LMT_STAT, True,
       _("Remaining round-trip efficiency (%)")),
    _p(PERF, f"{BC}.stateOfCharge", LI, [58], True, ALL, True, _("State of charge (%)")),

    _p(LAB, "declarationOfConformity", P, [17], False, ALL, True, _("EU declaration of conformity")),
    _p(LAB, "resultOfTestReport", AU, [18], False, ALL, True, _("Results of test reports proving compliance")),
    _p(LAB, "labels", P, [12, 13, 14, 16], False, ALL, True, _("Labels, symbols and their meaning")),

    _p(DD, "supplyChainDueDiligenceReport", P, [28], False, ALL, True, _("Due-diligence report")),
    _p(DD, "thirdPartyAussurances", P, [29], False, NONE, False, _("Third-party assurances")),
    _p(DD, "supplyChainIndicies", P, [30], False, NONE, False, _("Supply-chain indices")),
)
PROPS_BY_KEY = {prop.key: prop for prop in PROPS}

# Enumerations of the model [REFERENCE §4.2].
BATTERY_CATEGORIES = ("lmt", "ev", "industrial", "stationary")
BATTERY_STATUSES = ("Original", "Repurposed", "Reused", "Remanufactured", "Waste")
LIFECYCLE_STAGES = ("RawMaterialExtraction", "MainProduction", "Distribution", "Recycling")
RECYCLED_MATERIALS = ("Cobalt", "Nickel", "Lithium", "Lead")
DOCUMENT_TYPES = ("BillOfMaterial", "Model3D", "DismantlingManual", "RemovalManual", "OtherManual", "Drawing")
LABELING_SUBJECTS = ("SeparateCollection", "HazardousMaterial", "CarbonFootPrint", "ExtinguishingAgent")
HAZARD_CLASSES = ("AcuteToxicity", "SkinCorrosionOrIrritation", "EyeDamageOrIrritation")
BATTERY_COMPONENTS = ("pack", "module", "cell")

# Register value → model enumeration.
STATUS_TO_MODEL = {"original": "Original", "repurposed": "Repurposed", "reused": "Reused",
                   "remanufactured": "Remanufactured", "waste": "Waste"}
CHEMISTRY_NAMES = {
    "lfp": ("LFP", "Lithium iron phosphate"),
    "ncm": ("NMC", "Lithium nickel manganese cobalt oxides"),
    "nca": ("NCA", "Lithium nickel cobalt aluminium oxides"),
    "lmo": ("LMO", "Lithium manganese oxide"),
    "lco": ("LCO", "Lithium cobalt oxide"),
    "lto": ("LTO", "Lithium titanate"),
    "sodium_ion": ("Na-ion", "Sodium-ion"),
    "lead_acid": ("Pb", "Lead-acid"),
    "nimh": ("NiMH", "Nickel-metal hydride"),
    "nicd": ("NiCd", "Nickel-cadmium"),
}
