"""The evidence key fields the passport export reads: one place, so the names can be reconciled
with the vault's own list (docs/evidence.md on the vault branch) by editing this module only.

Each entry names an evidence document type (`apps.evidence.models.EvidenceType` value) and the
key-field names read from an *accepted* revision of a document of that type linked to the battery
model (or, for item-level documents, to the battery unit). docs/exports.md has the full table with
units and ranges.
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
# The vault has no "technical documentation" type yet; until it has, the model's technical
# documentation (warranty, safety, end-of-life information, materials, labels, spare parts,
# dismantling manuals, operator) is an "other" document linked to the model. Change it here.
TECHNICAL_DOCUMENTATION: Final = "other"

MODEL_LEVEL_TYPES: Final = (CARBON_FOOTPRINT_STUDY, RECYCLED_CONTENT_DECLARATION, DUE_DILIGENCE_REPORT,
                            DECLARATION_OF_CONFORMITY, TEST_REPORT, TECHNICAL_DOCUMENTATION)
ITEM_LEVEL_TYPES: Final = (RESIDUAL_CAPACITY_REPORT,)
PASSPORT_DOCUMENT_TYPES: Final = MODEL_LEVEL_TYPES + ITEM_LEVEL_TYPES

RECYCLED_MATERIALS: Final = {"Cobalt": "cobalt", "Nickel": "nickel", "Lithium": "lithium", "Lead": "lead"}

KEY_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    CARBON_FOOTPRINT_STUDY: (
        "cf_kg_co2e_per_kwh",             # Art 7(1)(d), kg CO2e per kWh of lifetime energy
        "cf_share_raw_material_pct",      # Art 7(1)(e) share of the total, %
        "cf_share_main_production_pct",
        "cf_share_distribution_pct",
        "cf_share_recycling_pct",
        "cf_performance_class",           # Art 7(2)
        "study_url",                      # Art 7(1)(g) public version of the study
        "cf_absolute_kg_co2e",            # voluntary (DIN 6.3.10)
        "plant_street", "plant_postal_code", "plant_country",  # Art 7(1)(c) plant location
    ),
    RECYCLED_CONTENT_DECLARATION: tuple(
        f"recycled_{name}_{kind}_consumer_pct" for name in RECYCLED_MATERIALS.values() for kind in ("pre", "post")
    ) + ("renewable_content_pct",),
    DUE_DILIGENCE_REPORT: ("report_url", "third_party_assurance_url", "supply_chain_index"),
    DECLARATION_OF_CONFORMITY: (
        "doc_url", "manufacturer_name", "manufacturer_identifier", "manufacturer_street",
        "manufacturer_postal_code", "manufacturer_country", "manufacturer_email", "manufacturer_web",
    ),
    TEST_REPORT: (
        "report_url",                     # results of test reports (Annex XIII 3)
        "original_power_capability",      # [{"at_soc_pct", "power_w"}]
        "rated_max_power_w", "power_capability_ratio", "expected_cycles", "expected_lifetime_years",
        "initial_self_discharge_pct", "initial_rte_pct", "rte_50pct_cycle_life_pct",
        "initial_internal_resistance",    # [{"component": pack|module|cell, "ohm"}]
        "c_rate", "c_rate_life_cycle_test", "capacity_threshold_exhaustion_pct", "lifetime_reference_test_url",
        "idle_temp_min_c", "idle_temp_max_c", "rte_fade_pct", "power_fade_pct",
    ),
    RESIDUAL_CAPACITY_REPORT: (
        "measured_at",                    # ISO 8601 date-time of the read-out (lastUpdate)
        "energy_throughput_kwh", "capacity_throughput_ah", "full_cycles", "soce_pct", "capacity_fade_pct",
        "remaining_energy_kwh", "remaining_capacity_ah", "negative_events",
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
        "dismantling_documents",          # [{"type", "mime_type", "url"}]
        "spare_part_sources",             # [{"name", "street", "postal_code", "country", "email", "web",
                                          #   "components": [{"name", "number"}]}]
        "battery_materials",              # [{"name", "cas", "mass_kg", "component", "component_id", "critical"}]
        "hazardous_substances",           # [{"class", "name", "cas", "concentration_pct", "impacts", "component"}]
        "labels",                         # [{"subject", "symbol_url", "meaning_en", "meaning_zh"}]
        "operator_name", "operator_identifier", "operator_street", "operator_postal_code", "operator_country",
        "operator_email", "operator_web",
    ),
}
