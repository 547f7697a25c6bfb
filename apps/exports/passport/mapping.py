"""Register + accepted evidence → the seven Battery Pass v1.2 aspect documents, with provenance.

Pure: frozen facts in, documents out. Never invents a value: what has no source is listed as
missing (with the document and key fields that would fill it); a value out of the model's range is
refused with a message and listed too. Each exported property records the register field or the
evidence revision (document type, SHA-256, review status) behind it.
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.exports import keyfields as kf

from . import values as v
from .facts import DocumentFacts, PassportFacts
from .spec import (
    ASPECT_URNS,
    ASPECTS,
    BATTERY_COMPONENTS,
    CF,
    CHEMISTRY_NAMES,
    CIRC,
    DD,
    DOCUMENT_TYPES,
    GPI,
    HAZARD_CLASSES,
    LAB,
    LABELING_SUBJECTS,
    MAT,
    PERF,
    PROPS_BY_KEY,
    STATUS_TO_MODEL,
    Prop,
    Tier,
)

DATA_MODEL = "Battery Pass data model v1.2 (DIN DKE SPEC 99100:2025-02)"
MSG_NOT_IN_SCOPE = _("Battery models of this category need no battery passport (Art 77: LMT, electric-vehicle "
                     "and industrial batteries above 2 kWh).")
MSG_ENERGY_UNKNOWN = _("This industrial battery model has no rated energy in the register, so it cannot be told "
                       "whether it is above 2 kWh and needs a passport.")
ACCEPTED = frozenset({"accepted"})


class PassportScopeError(Exception):
    def __init__(self, code: str, message: Any) -> None:
        self.code = code
        self.message = message
        super().__init__(str(message))


def passport_category(eu_category: str, rated_energy_kwh: Any) -> str:
    """Battery Pass `batteryCategory` of a register category; refuses batteries without a passport
    (Art 77, REFERENCE §1.7). Industrial stays `industrial`: the register does not say whether a
    battery is a stationary energy-storage system, and that is not guessed."""
    if eu_category in ("ev", "lmt"):
        return eu_category
    if eu_category == "industrial":
        if rated_energy_kwh is None:
            raise PassportScopeError("rated_energy_unknown", MSG_ENERGY_UNKNOWN)
        if rated_energy_kwh > 2:
            return "industrial"
    raise PassportScopeError("not_passport_category", MSG_NOT_IN_SCOPE)


class _Incomplete(Exception):
    def __init__(self, needs: list[str]) -> None:
        self.needs = needs
        super().__init__(", ".join(needs))


@dataclass(frozen=True)
class Missing:
    prop: Prop
    reason: str  # no_document | incomplete | item_level | no_register_value | no_passport | refused
    needs: tuple[str, ...] = ()

    def as_dict(self, category: str) -> dict[str, Any]:
        return {"aspect": self.prop.aspect, "property": self.prop.path, "label": str(self.prop.label),
                "mandatory": self.prop.mandatory(category), "schemaRequired": self.prop.schema_required,
                "itemLevel": self.prop.item_level, "reason": self.reason, "needs": list(self.needs)}


@dataclass(frozen=True)
class Problem:
    prop: Prop
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"aspect": self.prop.aspect, "property": self.prop.path, "code": self.code, "message": self.message}


@dataclass
class PassportExport:
    tier: Tier
    category: str
    facts: PassportFacts
    aspects: dict[str, dict[str, Any]]
    provenance: dict[str, dict[str, list[dict[str, Any]]]]
    missing: list[Missing] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def value_of(self, key: str) -> Any:
        prop = PROPS_BY_KEY[key]
        node: Any = self.aspects[prop.aspect]
        for part in prop.path.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def missing_by_tier(self) -> dict[str, list[dict[str, Any]]]:
        grouped: dict[str, list[dict[str, Any]]] = {tier.slug: [] for tier in Tier if tier <= self.tier}
        for entry in self.missing:
            grouped[entry.prop.tier.slug].append(entry.as_dict(self.category))
        return grouped

    def provenance_document(self) -> dict[str, Any]:
        facts = self.facts
        return {
            "dataModel": DATA_MODEL,
            "tier": self.tier.slug,
            "generatedOn": facts.today.isoformat() if facts.today else None,
            "battery": {
                "model": facts.model.code,
                "unit": facts.unit.code if facts.unit else None,
                "originalCode": (facts.unit.original_code or None) if facts.unit else None,
                "passportIdentifier": facts.passport.identifier if facts.passport else None,
                "passportVersion": facts.passport.version if facts.passport else None,
                "predecessorPassport": (facts.passport.predecessor_identifier or None) if facts.passport else None,
                "category": self.category,
            },
            "aspects": {aspect: {"urn": ASPECT_URNS[aspect], "properties": self.provenance[aspect]}
                        for aspect in ASPECTS},
            "missing": self.missing_by_tier(),
            "problems": [problem.as_dict() for problem in self.problems],
        }


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        document = document.setdefault(part, {})
    document[parts[-1]] = value


def _choose_documents(facts: PassportFacts, statuses: frozenset[str]) -> dict[str, DocumentFacts]:
    """Per document type, the revision the passport reads: item-level documents linked to the unit
    win over the model's; then the most recently reviewed. Expired revisions never count."""
    chosen: dict[str, DocumentFacts] = {}
    for doc in facts.documents:
        if doc.status not in statuses:
            continue
        if doc.expiry_date and facts.today and doc.expiry_date < facts.today:
            continue
        current = chosen.get(doc.doc_type)
        rank = (doc.level == "unit", doc.status == "accepted", doc.reviewed_at is not None,
                doc.reviewed_at.timestamp() if doc.reviewed_at else 0, doc.number)
        if current is None or rank > (current.level == "unit", current.status == "accepted",
                                      current.reviewed_at is not None,
                                      current.reviewed_at.timestamp() if current.reviewed_at else 0,
                                      current.number):
            chosen[doc.doc_type] = doc
    return chosen


class _Builder:
    def __init__(self, facts: PassportFacts, tier: Tier, statuses: frozenset[str]) -> None:
        self.facts = facts
        self.tier = tier
        self.category = passport_category(facts.model.eu_category, facts.model.rated_energy_kwh)
        self.docs = _choose_documents(facts, statuses)
        self.aspects: dict[str, dict[str, Any]] = {aspect: {} for aspect in ASPECTS}
        self.provenance: dict[str, dict[str, list[dict[str, Any]]]] = {aspect: {} for aspect in ASPECTS}
        self.missing: list[Missing] = []
        self.problems: list[Problem] = []

    # --- sources ----------------------------------------------------------------------------
    def register(self, field_name: str, object_id: str) -> list[dict[str, Any]]:
        return [{"source": "register", "field": field_name, "objectId": object_id}]

    def evidence(self, doc: DocumentFacts, keys: list[str]) -> dict[str, Any]:
        return {"source": "evidence", "documentType": doc.doc_type, "evidenceId": doc.evidence_id,
                "revisionId": doc.revision_id, "revision": doc.number, "sha256": doc.sha256,
                "reviewStatus": doc.status, "title": doc.title, "keyFields": keys, "level": doc.level}

    def fields(self, doc_type: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
               ) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """The key fields of the chosen document of this type: None when there is no document,
        _Incomplete when it lacks a required field."""
        doc = self.docs.get(doc_type)
        if doc is None:
            return None
        lacking = [key for key in required if v.is_blank(doc.key_fields.get(key))]
        if lacking:
            raise _Incomplete([f"{doc_type}.{key}" for key in lacking])
        present = {key: doc.key_fields[key] for key in required + optional
                   if not v.is_blank(doc.key_fields.get(key))}
        return present, [self.evidence(doc, list(present))]

    # --- emitting ---------------------------------------------------------------------------
    def emit(self, key: str, needs: tuple[str, ...], resolve: Callable[[], tuple[Any, list[dict]] | None]) -> None:
        prop = PROPS_BY_KEY[key]
        if prop.tier > self.tier:
            return
        if prop.item_level and self.facts.unit is None:
            self.missing.append(Missing(prop, "item_level", needs))
            return
        try:
            result = resolve()
        except _Incomplete as incomplete:
            self.missing.append(Missing(prop, "incomplete", tuple(incomplete.needs)))
            return
        except v.Refused as refused:
            self.problems.append(Problem(prop, refused.code, refused.message))
            self.missing.append(Missing(prop, "refused", needs))
            return
        if result is None:
            reason = "no_register_value" if needs and needs[0].startswith("register:") else "no_document"
            if needs and needs[0].startswith("passport:"):
                reason = "no_passport"
            self.missing.append(Missing(prop, reason, needs))
            return
        value, sources = result
        _set(self.aspects[prop.aspect], prop.path, value)
        self.provenance[prop.aspect][prop.path] = sources

    def from_doc(self, key: str, doc_type: str, required: tuple[str, ...], convert: Callable[[dict], Any],
                 optional: tuple[str, ...] = ()) -> None:
        def resolve():
            found = self.fields(doc_type, required, optional)
            if found is None:
                return None
            present, sources = found
            return convert(present), sources

        self.emit(key, tuple(f"{doc_type}.{name}" for name in required), resolve)

    def build(self) -> PassportExport:
        for part in (self._general, self._carbon, self._circularity, self._materials, self._performance,
                     self._condition, self._labels, self._due_diligence):
            part()
        return PassportExport(tier=self.tier, category=self.category, facts=self.facts, aspects=self.aspects,
                              provenance=self.provenance, missing=self.missing, problems=self.problems)

    # --- aspects ----------------------------------------------------------------------------
    def _general(self) -> None:
        model, unit, passport = self.facts.model, self.facts.unit, self.facts.passport
        self.emit(f"{GPI}.productIdentifier", ("register:BatteryUnit.code",),
                  lambda: (unit.code, self.register("BatteryUnit.code", unit.id)) if unit and unit.code else None)
        self.emit(f"{GPI}.batteryPassportIdentifier", ("passport:Passport.identifier",),
                  lambda: (passport.identifier, [{"source": "passport", "field": "Passport.identifier",
                                                  "version": passport.version}]) if passport else None)
        self.emit(f"{GPI}.batteryCategory", ("register:BatteryModel.eu_category",),
                  lambda: (self.category, self.register("BatteryModel.eu_category", model.id)))
        dc = kf.DECLARATION_OF_CONFORMITY
        self.from_doc(f"{GPI}.manufacturerInformation", dc,
                      ("manufacturer_name", "manufacturer_identifier", "manufacturer_street",
                       "manufacturer_postal_code", "manufacturer_country"),
                      lambda f: self._contact(dc, f, "manufacturer"),
                      optional=("manufacturer_email", "manufacturer_web"))
        self.emit(f"{GPI}.manufacturingDate", ("register:BatteryUnit.manufactured_on",),
                  lambda: (v.day_timestamp(unit.manufactured_on), self.register("BatteryUnit.manufactured_on",
                                                                                unit.id))
                  if unit and unit.manufactured_on else None)
        status = passport.status if passport else (unit.status if unit else "")
        self.emit(f"{GPI}.batteryStatus", ("register:BatteryUnit.status",),
                  lambda: (STATUS_TO_MODEL[status], self.register(
                      "Passport.status" if passport else "BatteryUnit.status", unit.id)) if status else None)
        self.emit(f"{GPI}.batteryMass", ("register:BatteryModel.mass_kg",), self._mass)
        cf = kf.CARBON_FOOTPRINT_STUDY
        self.from_doc(f"{GPI}.manufacturingPlace", cf, ("plant_street", "plant_postal_code", "plant_country"),
                      lambda f: {"addressCountry": v.text(f["plant_country"], field=f"{cf}.plant_country"),
                                 "postalCode": v.text(f["plant_postal_code"], field=f"{cf}.plant_postal_code"),
                                 "streetAddress": v.text(f["plant_street"], field=f"{cf}.plant_street")})
        td = kf.TECHNICAL_DOCUMENTATION
        self.from_doc(f"{GPI}.operatorInformation", td,
                      ("operator_name", "operator_identifier", "operator_street", "operator_postal_code",
                       "operator_country"),
                      lambda f: self._contact(td, f, "operator"), optional=("operator_email", "operator_web"))
        self.emit(f"{GPI}.puttingIntoService", ("passport:Passport.put_into_service_on",),
                  lambda: (v.day_timestamp(passport.put_into_service_on),
                           [{"source": "passport", "field": "Passport.put_into_service_on",
                             "version": passport.version}])
                  if passport and passport.put_into_service_on else None)
        self.from_doc(f"{GPI}.warrentyPeriod", td, ("warranty_period",),
                      lambda f: v.warranty(f["warranty_period"], field=f"{td}.warranty_period"))

    def _mass(self):
        unit, model = self.facts.unit, self.facts.model
        if unit is not None and unit.mass_kg is not None:
            return (v.non_negative(unit.mass_kg, field="BatteryUnit.mass_kg"),
                    self.register("BatteryUnit.mass_kg", unit.id))
        if model.mass_kg is not None:
            return (v.non_negative(model.mass_kg, field="BatteryModel.mass_kg"),
                    self.register("BatteryModel.mass_kg", model.id))
        return None

    def _contact(self, doc_type: str, f: dict[str, Any], prefix: str) -> dict[str, Any]:
        contact: dict[str, Any] = {
            "contactName": v.text(f[f"{prefix}_name"], field=f"{doc_type}.{prefix}_name"),
            "identifier": v.text(f[f"{prefix}_identifier"], field=f"{doc_type}.{prefix}_identifier"),
            "postalAddress": {
                "addressCountry": v.text(f[f"{prefix}_country"], field=f"{doc_type}.{prefix}_country"),
                "postalCode": v.text(f[f"{prefix}_postal_code"], field=f"{doc_type}.{prefix}_postal_code"),
                "streetAddress": v.text(f[f"{prefix}_street"], field=f"{doc_type}.{prefix}_street"),
            },
        }
        if f"{prefix}_email" in f:
            contact["emailAddress"] = v.text(f[f"{prefix}_email"], field=f"{doc_type}.{prefix}_email")
        if f"{prefix}_web" in f:
            contact["webAddress"] = v.url(f[f"{prefix}_web"], field=f"{doc_type}.{prefix}_web")
        return contact

    def _carbon(self) -> None:
        cf = kf.CARBON_FOOTPRINT_STUDY
        self.from_doc(f"{CF}.batteryCarbonFootprint", cf, ("cf_kg_co2e_per_kwh",),
                      lambda f: v.non_negative(f["cf_kg_co2e_per_kwh"], field=f"{cf}.cf_kg_co2e_per_kwh"))

        def per_stage(f):
            """The model gives each stage as its share of the total; the study gives kg CO2e/kWh per stage."""
            stages = f["cf_per_stage"] if isinstance(f["cf_per_stage"], dict) else {}
            lacking = [f"{cf}.cf_per_stage.{key}" for key in kf.CF_STAGES.values() if v.is_blank(stages.get(key))]
            if lacking:
                raise _Incomplete(lacking)
            total = v.non_negative(f["cf_kg_co2e_per_kwh"], field=f"{cf}.cf_kg_co2e_per_kwh")
            values = [(stage, v.number(stages[key], field=f"{cf}.cf_per_stage.{key}"))
                      for stage, key in kf.CF_STAGES.items()]
            if total <= 0:
                raise v.Refused("value_out_of_range", v.MSG_RANGE, field=f"{cf}.cf_kg_co2e_per_kwh", value=total,
                                low="> 0", high="—")
            shares = [(stage, round(value * 100 / total, 2)) for stage, value in values]
            share_sum = sum(share for _stage, share in shares)
            if share_sum > 100.5:  # rounding of four shares
                raise v.Refused("shares_above_100", v.MSG_SHARE_SUM, field=f"{cf}.cf_per_stage",
                                value=round(share_sum, 2))
            return [{"lifecycleStage": stage, "carbonFootprint": share} for stage, share in shares]

        self.from_doc(f"{CF}.carbonFootprintPerLifecycleStage", cf, ("cf_kg_co2e_per_kwh", "cf_per_stage"), per_stage)
        self.from_doc(f"{CF}.carbonFootprintPerformanceClass", cf, ("performance_class",),
                      lambda f: v.text(f["performance_class"], field=f"{cf}.performance_class"))
        self.from_doc(f"{CF}.carbonFootprintStudy", cf, ("study_url",),
                      lambda f: v.url(f["study_url"], field=f"{cf}.study_url"))
        self.from_doc(f"{CF}.absoluteCarbonFootprint", cf, ("cf_absolute_kg_co2e",),
                      lambda f: v.non_negative(f["cf_absolute_kg_co2e"], field=f"{cf}.cf_absolute_kg_co2e"))

    def _circularity(self) -> None:
        td, rc = kf.TECHNICAL_DOCUMENTATION, kf.RECYCLED_CONTENT_DECLARATION
        field_name = f"{td}.dismantling_documents"
        self.from_doc(f"{CIRC}.dismantlingAndRemovalInformation", td, ("dismantling_documents",), lambda f: [
            {"documentType": v.choice(item["type"], DOCUMENT_TYPES, field=field_name),
             "mimeType": v.text(item["mime_type"], field=field_name),
             "documentURL": v.url(item["url"], field=field_name)}
            for item in v.entries(f["dismantling_documents"], field=field_name, required=("type", "mime_type", "url"))])
        self.from_doc(f"{CIRC}.sparePartSources", td, ("spare_part_sources",), self._spare_parts)
        self.emit(f"{CIRC}.recycledContent", tuple(f"{rc}.shares.{key}" for key in kf.COLUMNS[(rc, "shares")]),
                  self._recycled_content)
        self.from_doc(f"{CIRC}.renewableContent", rc, ("renewable_content_pct",),
                      lambda f: v.percent(f["renewable_content_pct"], field=f"{rc}.renewable_content_pct"))
        self.from_doc(f"{CIRC}.safetyMeasures.safetyInstructions", td, ("safety_instructions_url",),
                      lambda f: v.url(f["safety_instructions_url"], field=f"{td}.safety_instructions_url"))
        self.from_doc(f"{CIRC}.safetyMeasures.extinguishingAgent", td, ("extinguishing_agents",),
                      lambda f: v.strings(f["extinguishing_agents"], field=f"{td}.extinguishing_agents"))
        eol = (("wastePrevention", "eol_waste_prevention_url"), ("separateCollection", "eol_separate_collection_url"),
               ("informationOnCollection", "eol_collection_info_url"))
        self.from_doc(f"{CIRC}.endOfLifeInformation", td, tuple(key for _p, key in eol),
                      lambda f: {prop: v.url(f[key], field=f"{td}.{key}") for prop, key in eol})

    def _spare_parts(self, f: dict[str, Any]) -> list[dict[str, Any]]:
        """One row per spare part; consecutive rows of the same supplier become one source."""
        field_name = f"{kf.TECHNICAL_DOCUMENTATION}.spare_part_sources"
        result: list[dict[str, Any]] = []
        supplier_keys = ("name", "street", "postal_code", "country", "email", "web")
        previous = None
        for item in v.entries(f["spare_part_sources"], field=field_name,
                              required=supplier_keys + ("part_name", "part_number")):
            supplier = tuple(str(item[key]) for key in supplier_keys)
            if supplier != previous:
                result.append({
                    "nameOfSupplier": v.text(item["name"], field=field_name),
                    "addressOfSupplier": {"addressCountry": v.text(item["country"], field=field_name),
                                          "postalCode": v.text(item["postal_code"], field=field_name),
                                          "streetAddress": v.text(item["street"], field=field_name)},
                    "emailAddressOfSupplier": v.text(item["email"], field=field_name),
                    "supplierWebAddress": v.url(item["web"], field=field_name),
                    "components": []})
                previous = supplier
            result[-1]["components"].append({"partName": v.text(item["part_name"], field=field_name),
                                             "partNumber": v.text(str(item["part_number"]), field=field_name)})
        return result

    def _recycled_content(self):
        rc = kf.RECYCLED_CONTENT_DECLARATION
        doc = self.docs.get(rc)
        if doc is None:
            return None
        shares = doc.key_fields.get("shares")
        shares = shares if isinstance(shares, dict) else {}
        entries, lacking = [], []
        for material, element in kf.RECYCLED_MATERIALS.items():
            parts = shares.get(element) if isinstance(shares.get(element), dict) else {}
            pre_key, post_key = f"shares.{element}.pre_consumer_pct", f"shares.{element}.post_consumer_pct"
            pre, post = parts.get("pre_consumer_pct"), parts.get("post_consumer_pct")
            if v.is_blank(pre) or v.is_blank(post):
                lacking += [f"{rc}.{key}" for key, value in ((pre_key, pre), (post_key, post)) if v.is_blank(value)]
                continue
            pre_share = v.percent(pre, field=f"{rc}.{pre_key}")
            post_share = v.percent(post, field=f"{rc}.{post_key}")
            if pre_share + post_share > 100:
                raise v.Refused("shares_above_100", v.MSG_SHARE_SUM, field=f"{rc}.shares.{element}",
                                value=round(pre_share + post_share, 2))
            entries.append({"recycledMaterial": material, "preConsumerShare": pre_share,
                            "postConsumerShare": post_share})
        if lacking:
            raise _Incomplete(lacking)
        return entries, [self.evidence(doc, ["shares"])]

    def _materials(self) -> None:
        model = self.facts.model
        names = CHEMISTRY_NAMES.get(model.chemistry)
        self.emit(f"{MAT}.batteryChemistry", ("register:BatteryModel.chemistry",),
                  lambda: ({"shortName": names[0], "clearName": names[1]},
                           self.register("BatteryModel.chemistry", model.id)) if names else None)
        td = kf.TECHNICAL_DOCUMENTATION
        field_name = f"{td}.battery_materials"

        def materials(f):
            result = []
            for item in v.entries(f["battery_materials"], field=field_name,
                                  required=("name", "cas", "mass_kg", "component", "critical")):
                critical = v.boolean(item["critical"], field=field_name)
                if self.tier == Tier.PUBLIC and not critical:
                    continue  # Annex XIII 1(b): critical raw materials are public, the rest is 2(a)
                location = {"componentName": v.text(item["component"], field=field_name)}
                if not v.is_blank(item.get("component_id")):
                    location["componentId"] = v.text(str(item["component_id"]), field=field_name)
                result.append({"batteryMaterialLocation": location,
                               "batteryMaterialIdentifier": v.cas(item["cas"], field=field_name),
                               "batteryMaterialName": v.text(item["name"], field=field_name),
                               "batteryMaterialMass": v.non_negative(item["mass_kg"], field=field_name),
                               "isCriticalRawMaterial": critical})
            return result

        self.from_doc(f"{MAT}.batteryMaterials", td, ("battery_materials",), materials)
        hazard_field = f"{td}.hazardous_substances"
        self.from_doc(f"{MAT}.hazardousSubstances", td, ("hazardous_substances",), lambda f: [
            {"hazardousSubstanceClass": v.choice(item["class"], HAZARD_CLASSES, field=hazard_field),
             "hazardousSubstanceName": v.text(item["name"], field=hazard_field),
             "hazardousSubstanceConcentration": v.percent(item["concentration_pct"], field=hazard_field),
             "hazardousSubstanceImpact": v.strings(item["impacts"], field=hazard_field),
             "hazardousSubstanceLocation": {"componentName": v.text(item["component"], field=hazard_field)},
             "hazardousSubstanceIdentifier": v.cas(item["cas"], field=hazard_field)}
            for item in v.entries(f["hazardous_substances"], field=hazard_field,
                                  required=("class", "name", "cas", "concentration_pct", "impacts", "component"))])

    def _performance(self) -> None:
        model, tr = self.facts.model, kf.TEST_REPORT
        tp = "batteryTechicalProperties"

        def reg(key: str, field_name: str, value: Any):
            self.emit(f"{PERF}.{tp}.{key}", (f"register:BatteryModel.{field_name}",),
                      lambda: (v.non_negative(value, field=f"BatteryModel.{field_name}"),
                               self.register(f"BatteryModel.{field_name}", model.id)) if value is not None else None)

        def num(key: str, field_name: str, check: Callable[..., Any]):
            self.from_doc(f"{PERF}.{tp}.{key}", tr, (field_name,), lambda f: check(f[field_name],
                                                                                 field=f"{tr}.{field_name}"))

        reg("ratedCapacity", "rated_capacity_ah", model.rated_capacity_ah)
        reg("ratedEnergy", "rated_energy_kwh", model.rated_energy_kwh)
        reg("nominalVoltage", "nominal_voltage_v", model.nominal_voltage_v)
        power_field = f"{tr}.original_power_capability"
        self.from_doc(f"{PERF}.{tp}.originalPowerCapability", tr, ("original_power_capability",), lambda f: [
            {"atSoC": v.percent(item["at_soc_pct"], field=power_field),
             "powerCapabilityAt": v.non_negative(item["power_w"], field=power_field)}
            for item in v.entries(f["original_power_capability"], field=power_field,
                                  required=("at_soc_pct", "power_w"))])
        num("ratedMaximumPower", "rated_max_power_w", v.non_negative)
        num("powerCapabilityRatio", "power_capability_ratio", v.non_negative)
        num("expectedNumberOfCycles", "expected_cycles",
            lambda value, field: v.number(value, field=field, low=0, high=2**63 - 1, integer=True))
        num("initialSelfDischarge", "initial_self_discharge_pct", v.percent)
        num("roundtripEfficiency", "initial_rte_pct", v.percent)
        resistance_field = f"{tr}.initial_internal_resistance"
        self.from_doc(f"{PERF}.{tp}.initialInternalResistance", tr, ("initial_internal_resistance",), lambda f: [
            {"ohmicResistance": v.non_negative(item["ohm"], field=resistance_field),
             "batteryComponent": v.choice(item["component"], BATTERY_COMPONENTS, field=resistance_field)}
            for item in v.entries(f["initial_internal_resistance"], field=resistance_field,
                                  required=("component", "ohm"))])
        num("expectedLifetime", "expected_lifetime_years",
            lambda value, field: v.number(value, field=field, low=0, high=32767, integer=True))
        num("cRate", "c_rate", v.non_negative)

        def voltages(f):
            low = v.non_negative(f["min_voltage_v"], field=f"{tr}.min_voltage_v")
            high = v.non_negative(f["max_voltage_v"], field=f"{tr}.max_voltage_v")
            v.ordered(low, high, field=f"{tr}.min_voltage_v/max_voltage_v")
            return low, high

        self.from_doc(f"{PERF}.{tp}.minimumVoltage", tr, ("min_voltage_v", "max_voltage_v"), lambda f: voltages(f)[0])
        self.from_doc(f"{PERF}.{tp}.maximumVoltage", tr, ("min_voltage_v", "max_voltage_v"), lambda f: voltages(f)[1])
        num("capacityThresholdForExhaustion", "capacity_threshold_exhaustion_pct", v.percent)
        num("lifetimeReferenceTest", "lifetime_reference_test_url", v.url)
        num("cRateLifeCycleTest", "c_rate_life_cycle_test", v.non_negative)

        def idle(f):
            low = v.number(f["idle_temp_min_c"], field=f"{tr}.idle_temp_min_c", low=-100, high=200)
            high = v.number(f["idle_temp_max_c"], field=f"{tr}.idle_temp_max_c", low=-100, high=200)
            v.ordered(low, high, field=f"{tr}.idle_temp_min_c/idle_temp_max_c")
            return {"minimum": low, "maximum": high}

        self.from_doc(f"{PERF}.{tp}.temperatureRangeIdleState", tr, ("idle_temp_min_c", "idle_temp_max_c"), idle)
        num("roundTripEfficiencyat50PerCentCycleLife", "rte_50pct_cycle_life_pct", v.percent)
        num("roundTripEfficiencyFade", "rte_fade_pct", v.percent)
        num("powerFade", "power_fade_pct", v.percent)

    def _condition(self) -> None:
        rr = kf.RESIDUAL_CAPACITY_REPORT
        bc = "batteryCondition"

        def dynamic(key: str, keys: tuple[str, ...], build: Callable[[dict, str], Any]):
            def convert(f):
                stamp = v.timestamp(f["measured_at"], field=f"{rr}.measured_at")
                return build(f, stamp)

            self.from_doc(f"{PERF}.{bc}.{key}", rr, ("measured_at",) + keys, convert)

        def scalar(key: str, value_key: str, field_name: str, check: Callable[..., Any]):
            dynamic(key, (field_name,), lambda f, stamp: {value_key: check(f[field_name], field=f"{rr}.{field_name}"),
                                                          "lastUpdate": stamp})

        def any_number(value, field):
            return v.number(value, field=field)

        scalar("energyThroughput", "energyThroughputValue", "energy_throughput_kwh", v.non_negative)
        scalar("capacityThroughput", "capacityThroughputValue", "capacity_throughput_ah", v.non_negative)
        scalar("numberOfFullCycles", "numberOfFullCyclesValue", "full_cycles", v.non_negative)
        scalar("stateOfCertifiedEnergy", "stateOfCertifiedEnergyValue", "soce_pct", v.percent)
        scalar("capacityFade", "capacityFadeValue", "capacity_fade_pct", v.percent)
        scalar("remainingEnergy", "remainingEnergyValue", "remaining_energy_kwh", v.non_negative)
        scalar("remainingCapacity", "remainingCapacityValue", "remaining_capacity_ah", v.non_negative)

        def events(f):
            """The events listed, or none when the read-out says explicitly that none was recorded
            (the vault drops empty lists, so an absent list means "not reported")."""
            stamp = v.timestamp(f["measured_at"], field=f"{rr}.measured_at")
            if "negative_events" in f:
                listed = self._events(f["negative_events"], field=f"{rr}.negative_events")
            elif f.get("no_negative_events") is True:
                listed = []
            else:
                raise _Incomplete([f"{rr}.negative_events"])
            return [{"negativeEvent": event, "lastUpdate": stamp} for event in listed]

        self.from_doc(f"{PERF}.{bc}.negativeEvents", rr, ("measured_at",), events,
                      optional=("negative_events", "no_negative_events"))
        temperature = (("timeExtremeHighTemp", "time_extreme_high_temp_min"),
                       ("timeExtremeLowTemp", "time_extreme_low_temp_min"),
                       ("timeExtremeHighTempCharging", "time_extreme_high_temp_charging_min"),
                       ("timeExtremeLowTempCharging", "time_extreme_low_temp_charging_min"))
        dynamic("temperatureInformation", tuple(key for _p, key in temperature), lambda f, stamp: {
            **{prop: v.non_negative(f[key], field=f"{rr}.{key}") for prop, key in temperature}, "lastUpdate": stamp})
        dynamic("remainingPowerCapability", ("remaining_power_w", "remaining_power_at_soc_pct"), lambda f, stamp: {
            "remainingPowerCapabilityValue": {
                "atSoC": v.percent(f["remaining_power_at_soc_pct"], field=f"{rr}.remaining_power_at_soc_pct"),
                "powerCapabilityAt": v.non_negative(f["remaining_power_w"], field=f"{rr}.remaining_power_w"),
                "rPCLastUpdated": stamp},
            "lastUpdate": stamp})
        scalar("evolutionOfSelfDischarge", "evolutionOfSelfDischargeValue", "self_discharge_evolution_pct", any_number)
        scalar("currentSelfDischargingRate", "currentSelfDischargingRateValue", "current_self_discharge_pct",
               v.percent)
        increase_field = f"{rr}.internal_resistance_increase"
        dynamic("internalResistanceIncrease", ("internal_resistance_increase",), lambda f, stamp: [
            {"internalResistanceIncreaseValue": v.number(item["pct"], field=increase_field),
             "batteryComponent": v.choice(item["component"], BATTERY_COMPONENTS, field=increase_field),
             "lastUpdate": stamp}
            for item in v.entries(f["internal_resistance_increase"], field=increase_field,
                                  required=("component", "pct"))])
        scalar("remainingRoundTripEnergyEfficiency", "remainingRoundTripEnergyEfficiencyValue", "remaining_rte_pct",
               v.percent)
        scalar("stateOfCharge", "stateOfChargeValue", "soc_pct", v.percent)

    @staticmethod
    def _events(value: Any, *, field: str) -> list[str]:
        if value == []:
            return []  # a read-out that recorded no negative event
        return v.strings(value, field=field)

    def _labels(self) -> None:
        dc, tr, td = kf.DECLARATION_OF_CONFORMITY, kf.TEST_REPORT, kf.TECHNICAL_DOCUMENTATION
        self.from_doc(f"{LAB}.declarationOfConformity", dc, ("doc_url",),
                      lambda f: v.url(f["doc_url"], field=f"{dc}.doc_url"))
        self.from_doc(f"{LAB}.resultOfTestReport", tr, ("report_url",),
                      lambda f: v.url(f["report_url"], field=f"{tr}.report_url"))
        field_name = f"{td}.labels"

        def labels(f):
            result = []
            for item in v.entries(f["labels"], field=field_name, required=("subject", "symbol_url", "meaning_en")):
                meaning = {"en": v.text(item["meaning_en"], field=field_name)}
                if not v.is_blank(item.get("meaning_zh")):
                    meaning["zh"] = v.text(item["meaning_zh"], field=field_name)
                result.append({"labelingSubject": v.choice(item["subject"], LABELING_SUBJECTS, field=field_name),
                               "labelingSymbol": v.url(item["symbol_url"], field=field_name),
                               "labelingMeaning": meaning})
            return result

        self.from_doc(f"{LAB}.labels", td, ("labels",), labels)

    def _due_diligence(self) -> None:
        dd = kf.DUE_DILIGENCE_REPORT
        self.from_doc(f"{DD}.supplyChainDueDiligenceReport", dd, ("report_url",),
                      lambda f: v.url(f["report_url"], field=f"{dd}.report_url"))
        self.from_doc(f"{DD}.thirdPartyAussurances", dd, ("third_party_assurance_url",),
                      lambda f: v.url(f["third_party_assurance_url"], field=f"{dd}.third_party_assurance_url"))
        self.from_doc(f"{DD}.supplyChainIndicies", dd, ("supply_chain_index",),
                      lambda f: v.number(f["supply_chain_index"], field=f"{dd}.supply_chain_index"))


def build_passport(facts: PassportFacts, tier: Tier = Tier.PUBLIC, *,
                   statuses: frozenset[str] = ACCEPTED) -> PassportExport:
    """The passport of `facts` as `tier` may see it. Only revisions whose review status is in
    `statuses` feed values (accepted ones, unless a readiness check asks what *would* be there).

    Raises PassportScopeError for batteries outside the passport categories."""
    return _Builder(facts, tier, statuses).build()


def missing_count(export: PassportExport, *, mandatory_only: bool = True) -> int:
    return sum(1 for entry in export.missing if not mandatory_only or entry.prop.mandatory(export.category))
