"""Reads for passports, readiness and the reporting board. Querysets come back joined; the facts
for the pure passport mapping are loaded in a fixed, small number of queries."""
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from uuid import UUID

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.core.errors import ApplicationError
from apps.evidence.models import EvidenceRevision
from apps.tenants.models import Organisation
from apps.traceability.models import BatteryModel, BatteryUnit, EuCategory

from . import keyfields as kf
from .models import Passport, ReportingEvent
from .passport import (
    DocumentFacts,
    ModelFacts,
    PassportExport,
    PassportFacts,
    PassportRecordFacts,
    PassportScopeError,
    Tier,
    UnitFacts,
    build_passport,
)
from .readiness import Readiness, passport_readiness
from .registry.models import PassportIndexEntry
from .reporting import EventFacts, State, UploadEvent, state_of

PASSPORT_SCOPE = Q(eu_category__in=[EuCategory.LMT, EuCategory.EV]) | Q(eu_category=EuCategory.INDUSTRIAL,
                                                                         rated_energy_kwh__gt=2)
REVISION_STATUSES = ("accepted", "submitted")
MSG_NO_MODEL = _("This unit has no battery model in the register, so it has no passport data.")


def _today() -> date:
    return timezone.localdate()


# --- passports -----------------------------------------------------------------------------------

def passport_model_list() -> QuerySet[BatteryModel]:
    return BatteryModel.objects.filter(PASSPORT_SCOPE).order_by("code")


def passport_model_get(*, model_id: UUID) -> BatteryModel | None:
    return BatteryModel.objects.filter(pk=model_id).first()


def _unit_scope(access: Access | None) -> Q:
    if access is None or access.shipment_scope is None:
        return Q()
    return Q(shipments__in=access.shipment_scope)


def passport_unit_list(*, access: Access | None = None, model: BatteryModel | None = None) -> QuerySet[BatteryUnit]:
    """Units of passport-category models, with their model and current passport."""
    units = (BatteryUnit.objects.filter(model__in=passport_model_list()).filter(_unit_scope(access))
             .select_related("model")
             .prefetch_related(Prefetch("passports", queryset=Passport.objects.filter(is_current=True),
                                        to_attr="current_passports"))
             .order_by("model__code", "code"))
    if model is not None:
        units = units.filter(model=model)
    return units.distinct() if access is not None and access.shipment_scope is not None else units


def unit_get(*, access: Access | None, unit_id: UUID) -> BatteryUnit | None:
    return (BatteryUnit.objects.filter(pk=unit_id).filter(_unit_scope(access)).select_related("model", "parent")
            .first())


def passport_current(*, unit: BatteryUnit) -> Passport | None:
    return Passport.objects.filter(unit=unit, is_current=True).select_related("predecessor").first()


def passport_history(*, unit: BatteryUnit) -> list[Passport]:
    """Every passport of this unit and, following the predecessor links, of the units it was
    re-coded from, newest first."""
    passports = list(Passport.objects.filter(unit=unit).select_related("unit", "predecessor__unit"))
    seen = {p.pk for p in passports}
    frontier = [p.predecessor for p in passports if p.predecessor_id and p.predecessor_id not in seen]
    while frontier:
        passport = frontier.pop()
        if passport.pk in seen:
            continue
        seen.add(passport.pk)
        passports.append(passport)
        if passport.predecessor_id and passport.predecessor_id not in seen:
            frontier.append(Passport.objects.select_related("unit", "predecessor").get(pk=passport.predecessor_id))
    return sorted(passports, key=lambda p: (p.created_at, p.version), reverse=True)


def passport_get(*, passport_id: UUID) -> Passport | None:
    return Passport.objects.filter(pk=passport_id).select_related("unit__model").first()


def _documents(revisions: Iterable[EvidenceRevision], level: str) -> list[DocumentFacts]:
    """The newest revision of each document (accepted or submitted), as facts."""
    newest: dict[UUID, EvidenceRevision] = {}
    for revision in revisions:
        current = newest.get(revision.evidence_id)
        if current is None or revision.number > current.number:
            newest[revision.evidence_id] = revision
    return [DocumentFacts(doc_type=r.evidence.doc_type, evidence_id=str(r.evidence_id), revision_id=str(r.pk),
                          number=r.number, sha256=r.sha256, status=r.status, title=r.evidence.title,
                          key_fields=r.key_fields if isinstance(r.key_fields, dict) else {}, level=level,
                          reviewed_at=r.reviewed_at, expiry_date=r.expiry_date)
            for r in newest.values()]


def _revisions(**link) -> QuerySet[EvidenceRevision]:
    return (EvidenceRevision.objects.filter(status__in=REVISION_STATUSES, **link)
            .select_related("evidence").order_by("evidence_id", "-number"))


def model_facts(model: BatteryModel) -> ModelFacts:
    return ModelFacts(id=str(model.pk), code=model.code, name=model.name, manufacturer=model.manufacturer,
                      eu_category=model.eu_category, chemistry=model.chemistry,
                      rated_capacity_ah=model.rated_capacity_ah, rated_energy_kwh=model.rated_energy_kwh,
                      nominal_voltage_v=model.nominal_voltage_v, mass_kg=model.mass_kg,
                      manufacturing_plant=model.manufacturing_plant, plant_country=model.plant_country,
                      gtin=model.gtin)


def passport_facts_for_model(*, model: BatteryModel, today: date | None = None) -> PassportFacts:
    documents = _documents(_revisions(evidence__doc_type__in=kf.MODEL_LEVEL_TYPES, evidence__battery_models=model),
                           "model")
    return PassportFacts(model=model_facts(model), documents=tuple(documents), today=today or _today())


def passport_facts_for_unit(*, unit: BatteryUnit, passport: Passport | None = None,
                            today: date | None = None) -> PassportFacts:
    if unit.model is None:
        raise ApplicationError(MSG_NO_MODEL, code="unit_without_model")
    documents = _documents(_revisions(evidence__doc_type__in=kf.MODEL_LEVEL_TYPES,
                                      evidence__battery_models=unit.model_id), "model")
    documents += _documents(_revisions(evidence__doc_type__in=kf.ITEM_LEVEL_TYPES, evidence__units=unit), "unit")
    record = None
    if passport is not None:
        record = PassportRecordFacts(identifier=passport.identifier, version=passport.version, status=passport.status,
                                     predecessor_identifier=passport.predecessor_identifier,
                                     put_into_service_on=passport.put_into_service_on)
    return PassportFacts(
        model=model_facts(unit.model),
        unit=UnitFacts(id=str(unit.pk), code=unit.code, scheme=unit.scheme, level=unit.level, status=unit.status,
                       gtin=unit.gtin, serial=unit.serial, manufactured_on=unit.manufactured_on,
                       original_code=unit.original_code, mass_kg=unit.mass_kg),
        passport=record, documents=tuple(documents), today=today or _today())


def _scope_error(error: PassportScopeError) -> ApplicationError:
    return ApplicationError(error.message, code=error.code)


def passport_export_unit(*, unit: BatteryUnit, tier: Tier, passport: Passport | None = None,
                         today: date | None = None) -> PassportExport:
    """The unit's passport as `tier` sees it (its current passport unless one is given).
    Refuses units outside the passport categories (ApplicationError `not_passport_category`)."""
    if passport is None:
        passport = passport_current(unit=unit)
    try:
        return build_passport(passport_facts_for_unit(unit=unit, passport=passport, today=today), tier)
    except PassportScopeError as error:
        raise _scope_error(error) from None


def passport_export_model(*, model: BatteryModel, tier: Tier, today: date | None = None) -> PassportExport:
    try:
        return build_passport(passport_facts_for_model(model=model, today=today), tier)
    except PassportScopeError as error:
        raise _scope_error(error) from None


def passport_unit_overview(*, unit: BatteryUnit, tier: Tier, passport: Passport | None = None,
                           today: date | None = None) -> tuple[PassportExport, Readiness]:
    """The unit's export for `tier` and its readiness, from one load of its facts."""
    facts = passport_facts_for_unit(unit=unit, passport=passport, today=today)
    try:
        return build_passport(facts, tier), passport_readiness(facts)
    except PassportScopeError as error:
        raise _scope_error(error) from None


def passport_model_overview(*, model: BatteryModel, tier: Tier, today: date | None = None
                            ) -> tuple[PassportExport, Readiness]:
    facts = passport_facts_for_model(model=model, today=today)
    try:
        return build_passport(facts, tier), passport_readiness(facts)
    except PassportScopeError as error:
        raise _scope_error(error) from None


def readiness_for_models(*, models: Iterable[BatteryModel], today: date | None = None
                         ) -> list[tuple[BatteryModel, Readiness]]:
    """Readiness of several models from one query for all their documents (the readiness page)."""
    models = list(models)
    linked: dict[UUID, list[EvidenceRevision]] = defaultdict(list)
    revisions = _revisions(evidence__doc_type__in=kf.MODEL_LEVEL_TYPES,
                           evidence__battery_models__in=models).annotate(linked_model=F("evidence__battery_models"))
    for revision in revisions:
        linked[revision.linked_model].append(revision)
    result = []
    for model in models:
        facts = PassportFacts(model=model_facts(model), documents=tuple(_documents(linked[model.pk], "model")),
                              today=today or _today())
        try:
            result.append((model, passport_readiness(facts)))
        except PassportScopeError:
            continue
    return result


def readiness_for_unit(*, unit: BatteryUnit, today: date | None = None) -> Readiness:
    try:
        return passport_readiness(passport_facts_for_unit(unit=unit, passport=passport_current(unit=unit),
                                                          today=today))
    except PassportScopeError as error:
        raise _scope_error(error) from None


def readiness_for_model(*, model: BatteryModel, today: date | None = None) -> Readiness:
    try:
        return passport_readiness(passport_facts_for_model(model=model, today=today))
    except PassportScopeError as error:
        raise _scope_error(error) from None


# --- public passport lookup ------------------------------------------------------------------------

def index_entry_by_identifier(*, identifier: str) -> PassportIndexEntry | None:
    return (PassportIndexEntry.objects.filter(identifier=identifier, organisation__is_active=True)
            .select_related("organisation").first())


def index_entry_by_gs1(*, gtin: str, serial: str) -> PassportIndexEntry | None:
    return (PassportIndexEntry.objects.filter(gtin=gtin, serial=serial, is_current=True,
                                              organisation__is_active=True)
            .select_related("organisation").first())


def public_passport(*, entry: PassportIndexEntry, today: date | None = None
                    ) -> tuple[Organisation, Passport, PassportExport] | None:
    """The public tier of an indexed passport, read inside its organisation's schema."""
    organisation = entry.organisation
    with schema_context(organisation.schema_name):
        passport = (Passport.objects.filter(pk=entry.passport_id, unit_id=entry.unit_id)
                    .select_related("unit__model", "predecessor").first())
        if passport is None or passport.unit.model is None:
            return None
        try:
            export = build_passport(passport_facts_for_unit(unit=passport.unit, passport=passport, today=today),
                                    Tier.PUBLIC)
        except PassportScopeError:
            return None
    return organisation, passport, export


# --- reporting ---------------------------------------------------------------------------------------

def reporting_event_list(*, access: Access | None = None, state: str = "",
                         today: date | None = None) -> QuerySet[ReportingEvent]:
    events = ReportingEvent.objects.all().order_by("deadline", "occurred_on", "source_reference")
    if access is not None and access.shipment_scope is not None:
        events = events.filter(related_shipment_ids__overlap=list(access.shipment_scope))
    today = today or _today()
    if state == State.REPORTED:
        events = events.exclude(platform_reference="")
    elif state == State.OVERDUE:
        events = events.filter(platform_reference="", deadline__lt=today)
    elif state == State.DUE:
        events = events.filter(platform_reference="", deadline__gte=today)
    return events


def reporting_event_get(*, access: Access | None, event_id: UUID) -> ReportingEvent | None:
    return reporting_event_list(access=access).filter(pk=event_id).first()


def event_facts(event: ReportingEvent) -> EventFacts:
    return EventFacts(id=str(event.pk), kind=event.kind, kind_label=str(event.get_kind_display()),
                      occurred_on=event.occurred_on, deadline=event.deadline, reference=event.source_reference,
                      platform_reference=event.platform_reference)


def reporting_board(*, access: Access | None = None, today: date | None = None) -> dict[str, list[ReportingEvent]]:
    today = today or _today()
    board: dict[str, list[ReportingEvent]] = defaultdict(list)
    for event in reporting_event_list(access=access, today=today):
        event.state = state_of(event_facts(event), today)
        board[event.state].append(event)
    return {state: board.get(state, []) for state in (State.OVERDUE, State.DUE, State.REPORTED)}


def upload_event(event: ReportingEvent) -> UploadEvent:
    return UploadEvent(kind=event.kind, kind_label=str(event.get_kind_display()), occurred_on=event.occurred_on,
                       deadline=event.deadline, counterparty=event.counterparty, mass_kg=event.mass_kg,
                       reference=event.source_reference, unit_codes=list(event.unit_codes),
                       original_codes=list(event.original_codes))
