"""The evidence key fields the passport export reads: one place, in the vault's names.

The vault's type registry (`apps.evidence.doctypes`, docs/evidence.md) is the source of truth; every
name below is declared there for its type (tests/checklists/test_keyfields.py fails otherwise, and
checks that `passport/mapping.py` reads nothing that is not listed here). Documents come from an
*accepted* revision linked to the battery model (or, for item-level documents, to the battery unit).

`KEY_FIELDS` lists the fields per type; `COLUMNS` the columns read from table fields (rows) and the
keys read from maps. docs/exports.md has the full table with units and ranges.
"""
from typing import Final

# Document types (values of apps.evidence.models.EvidenceType).
CARBON_FOOTPRINT_STUDY: Final = "carbon_footprint_study"
RECYCLED_CONTENT_DECLARATION: Final = "recycled_content_declaration"
DUE_DILIGENCE_REPORT: Final = "due_diligence_report"
DECLARATION_OF_CONFORMITY: Final = "declaration_of_conformity"
TEST_REPORT: Final = "test_report"
# Item level: a state-of-health / BMS read-out (Annex VII, Annex XIII 4(a)(b)(d)).
RESIDUAL_CAPACITY_REPORT: Final = "residual_capacity_report"
# The model's technical documentation (warranty, safety, end-of-life information, materials, labels,
# spare parts, dismantling documents, operator): the vault's passport data sheet type.
TECHNICAL_DOCUMENTATION: Final = "technical_documentation"

MODEL_LEVEL_TYPES: Final = (CARBON_FOOTPRINT_STUDY, RECYCLED_CONTENT_DECLARATION, DUE_DILIGENCE_REPORT,
                            DECLARATION_OF_CONFORMITY, TEST_REPORT, TECHNICAL_DOCUMENTATION)
ITEM_LEVEL_TYPES: Final = (RESIDUAL_CAPACITY_REPORT,)
PASSPORT_DOCUMENT_TYPES: Final = MODEL_LEVEL_TYPES + ITEM_LEVEL_TYPES

# Battery Pass `recycledMaterial` → key of the declaration's `shares` map (vault: Co, Li, Ni, Pb).
RECYCLED_MATERIALS: Final = {"Cobalt": "Co", "Nickel": "Ni", "Lithium": "Li", "Lead": "Pb"}
SHARE_PARTS: Final = ("pre_consumer_pct", "post_consumer_pct")
# Battery Pass `lifecycleStage` → key of the study's `cf_per_stage` map (kg CO2e per kWh per stage; the
# passport gives each stage as its share of the total `cf_kg_co2e_per_kwh`).
CF_STAGES: Final = {"RawMaterialExtraction": "raw_material_acquisition_preprocessing",
                    "MainProduction": "main_product_production", "Distribution": "distribution",
                    "Recycling": "end_of_life_recycling"}
ADDRESS: Final = ("name", "identifier", "street", "postal_code", "country", "email", "web")

KEY_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    CARBON_FOOTPRINT_STUDY: (
        "cf_kg_co2e_per_kwh",             # Art 7(1)(d), kg CO2e per kWh of lifetime energy
        "cf_per_stage",                   # Art 7(1)(e), kg CO2e per kWh per life-cycle stage
        "performance_class",              # Art 7(2), once the delegated act applies
        "study_url",                      # Art 7(1)(g) public version of the study
        "cf_absolute_kg_co2e",            # voluntary (DIN 6.3.10)
        "plant_street", "plant_postal_code", "plant_country",  # Art 7(1)(c) plant location
    ),
    RECYCLED_CONTENT_DECLARATION: ("shares", "renewable_content_pct"),
    DUE_DILIGENCE_REPORT: ("report_url", "third_party_assurance_url", "supply_chain_index"),
    DECLARATION_OF_CONFORMITY: ("doc_url",) + tuple(f"manufacturer_{part}" for part in ADDRESS),
    TEST_REPORT: (
        "report_url",                     # results of test reports (Annex XIII 3)
        "original_power_capability",      # rows {at_soc_pct, power_w}
        "rated_max_power_w", "power_capability_ratio", "expected_cycles", "expected_lifetime_years",
        "initial_self_discharge_pct", "initial_rte_pct", "rte_50pct_cycle_life_pct",
        "initial_internal_resistance",    # rows {component: pack|module|cell, ohm}
        "c_rate", "c_rate_life_cycle_test", "capacity_threshold_exhaustion_pct", "lifetime_reference_test_url",
        "min_voltage_v", "max_voltage_v", "idle_temp_min_c", "idle_temp_max_c", "rte_fade_pct", "power_fade_pct",
    ),
    RESIDUAL_CAPACITY_REPORT: (
        "measured_at",                    # ISO 8601 date-time of the read-out (lastUpdate)
        "energy_throughput_kwh", "capacity_throughput_ah", "full_cycles", "soce_pct", "capacity_fade_pct",
        "remaining_energy_kwh", "remaining_capacity_ah", "negative_events", "no_negative_events",
        "time_extreme_high_temp_min", "time_extreme_low_temp_min", "time_extreme_high_temp_charging_min",
        "time_extreme_low_temp_charging_min", "remaining_power_w", "remaining_power_at_soc_pct",
        "self_discharge_evolution_pct", "current_self_discharge_pct", "internal_resistance_increase",
        "remaining_rte_pct", "soc_pct",
    ),
    TECHNICAL_DOCUMENTATION: (
        "warranty_period",                # Battery Pass lexical form (xsd:gMonth, "--MM")
        "extinguishing_agents",           # ["..."]
        "safety_instructions_url",
        "eol_waste_prevention_url", "eol_separate_collection_url", "eol_collection_info_url",
        "dismantling_documents", "spare_part_sources", "battery_materials", "hazardous_substances", "labels",
    ) + tuple(f"operator_{part}" for part in ADDRESS),
}

# Columns of table fields (one row per entry) and keys of map fields, per (type, field).
COLUMNS: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    (CARBON_FOOTPRINT_STUDY, "cf_per_stage"): tuple(CF_STAGES.values()),
    (RECYCLED_CONTENT_DECLARATION, "shares"): tuple(f"{el}.{part}" for el in RECYCLED_MATERIALS.values()
                                                    for part in SHARE_PARTS),
    (TEST_REPORT, "original_power_capability"): ("at_soc_pct", "power_w"),
    (TEST_REPORT, "initial_internal_resistance"): ("component", "ohm"),
    (RESIDUAL_CAPACITY_REPORT, "internal_resistance_increase"): ("component", "pct"),
    (TECHNICAL_DOCUMENTATION, "dismantling_documents"): ("type", "mime_type", "url"),
    # One row per spare part; rows of the same supplier are grouped into one source.
    (TECHNICAL_DOCUMENTATION, "spare_part_sources"): ("name", "street", "postal_code", "country", "email", "web",
                                                      "part_name", "part_number"),
    (TECHNICAL_DOCUMENTATION, "battery_materials"): ("name", "cas", "mass_kg", "component", "component_id",
                                                     "critical"),
    (TECHNICAL_DOCUMENTATION, "hazardous_substances"): ("class", "name", "cas", "concentration_pct", "impacts",
                                                        "component"),
    (TECHNICAL_DOCUMENTATION, "labels"): ("subject", "symbol_url", "meaning_en", "meaning_zh"),
}


def reads() -> dict[str, tuple[str, ...]]:
    """Every key-field path read, per type: "field", or "field.column" / "field.key" (for the vault check)."""
    result: dict[str, list[str]] = {doc_type: list(fields) for doc_type, fields in KEY_FIELDS.items()}
    for (doc_type, name), columns in COLUMNS.items():
        result[doc_type].extend(f"{name}.{column}" for column in columns)
    return {doc_type: tuple(paths) for doc_type, paths in result.items()}
