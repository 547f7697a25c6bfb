"""Decoupled plumbing: changes to the register and the evidence vault mark scopes for re-evaluation.

The apps that own these models sit below checklists in the import order and cannot call us; these
receivers (connected in ChecklistsConfig.ready) turn their saves, deletes and link changes into
`services.scopes_changed(...)`, which is coalesced and runs after commit. No business rule here.

Bulk operations (bulk_create, queryset.update) send no signals: a service doing them should also save
or touch the shipment/lot it works on (one post_save is enough), else the nightly run catches up.
"""
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from apps.evidence.models import Evidence, EvidenceRevision, Review
from apps.traceability.models import (
    BatteryModel,
    BatteryUnit,
    LotElement,
    MaterialLot,
    Shipment,
    ShipmentMass,
    ShipmentUnit,
)

from .services import scopes_changed

UID = "checklists"


def _on_shipment(sender, instance, **kwargs):
    scopes_changed([f"shipment:{instance.pk}"])


def _on_shipment_part(sender, instance, **kwargs):
    scopes_changed([f"shipment:{instance.shipment_id}"])


def _on_shipment_unit(sender, instance, **kwargs):
    scopes_changed([f"shipment:{instance.shipment_id}", f"unit:{instance.unit_id}"])


def _on_unit(sender, instance, **kwargs):
    members = [f"unit:{instance.pk}"]
    if instance.parent_id:
        members.append(f"unit:{instance.parent_id}")
    scopes_changed(members)


def _on_unit_deleted(sender, instance, **kwargs):
    # Its shipments are gone with it; the parent (still shipped) remains.
    if instance.parent_id:
        scopes_changed([f"unit:{instance.parent_id}"])


def _on_lot(sender, instance, **kwargs):
    scopes_changed([f"lot:{instance.pk}"])


def _on_lot_element(sender, instance, **kwargs):
    scopes_changed([f"lot:{instance.lot_id}"])


def _on_model(sender, instance, **kwargs):
    scopes_changed([f"model:{instance.pk}"])


def _on_evidence(sender, instance, **kwargs):
    scopes_changed([f"evidence:{instance.pk}"])


def _on_evidence_deleted(sender, instance, **kwargs):
    """Before the links go: the scopes the document was evidence for."""
    members = [f"shipment:{pk}" for pk in instance.shipments.values_list("pk", flat=True)]
    members += [f"unit:{pk}" for pk in instance.units.values_list("pk", flat=True)]
    members += [f"lot:{pk}" for pk in instance.lots.values_list("pk", flat=True)]
    members += [f"model:{pk}" for pk in instance.battery_models.values_list("pk", flat=True)]
    scopes_changed(members)


def _on_revision(sender, instance, **kwargs):
    scopes_changed([f"evidence:{instance.evidence_id}"])


def _on_review(sender, instance, **kwargs):
    scopes_changed([f"revision:{instance.revision_id}"])


M2M_KINDS = {Shipment: "shipment", BatteryUnit: "unit", MaterialLot: "lot", BatteryModel: "model",
             Evidence: "evidence"}


def _on_links(sender, instance, action, model, pk_set, **kwargs):
    """Links added or removed: both ends changed. On clear, pk_set is None: read the links first."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    own, other = M2M_KINDS.get(type(instance)), M2M_KINDS.get(model)
    members = [f"{own}:{instance.pk}"] if own else []
    if other and pk_set:
        members.extend(f"{other}:{pk}" for pk in pk_set)
    if action == "pre_clear" and other:
        keys = [f for f in sender._meta.get_fields() if f.many_to_one]
        for source in (f for f in keys if f.related_model is type(instance)):
            for target in (f for f in keys if f.related_model is model and f.name != source.name):
                ids = sender.objects.filter(**{source.attname: instance.pk}).values_list(target.attname, flat=True)
                members.extend(f"{other}:{pk}" for pk in ids)
    scopes_changed(members)


def connect() -> None:
    for model in (Shipment,):
        post_save.connect(_on_shipment, sender=model, dispatch_uid=f"{UID}.shipment.save")
        post_delete.connect(_on_shipment, sender=model, dispatch_uid=f"{UID}.shipment.delete")
    post_save.connect(_on_shipment_part, sender=ShipmentMass, dispatch_uid=f"{UID}.mass.save")
    post_delete.connect(_on_shipment_part, sender=ShipmentMass, dispatch_uid=f"{UID}.mass.delete")
    post_save.connect(_on_shipment_unit, sender=ShipmentUnit, dispatch_uid=f"{UID}.shipmentunit.save")
    post_delete.connect(_on_shipment_unit, sender=ShipmentUnit, dispatch_uid=f"{UID}.shipmentunit.delete")
    post_save.connect(_on_unit, sender=BatteryUnit, dispatch_uid=f"{UID}.unit.save")
    post_delete.connect(_on_unit_deleted, sender=BatteryUnit, dispatch_uid=f"{UID}.unit.delete")
    post_save.connect(_on_lot, sender=MaterialLot, dispatch_uid=f"{UID}.lot.save")
    post_delete.connect(_on_lot, sender=MaterialLot, dispatch_uid=f"{UID}.lot.delete")
    post_save.connect(_on_lot_element, sender=LotElement, dispatch_uid=f"{UID}.element.save")
    post_delete.connect(_on_lot_element, sender=LotElement, dispatch_uid=f"{UID}.element.delete")
    post_save.connect(_on_model, sender=BatteryModel, dispatch_uid=f"{UID}.model.save")
    post_delete.connect(_on_model, sender=BatteryModel, dispatch_uid=f"{UID}.model.delete")
    post_save.connect(_on_evidence, sender=Evidence, dispatch_uid=f"{UID}.evidence.save")
    pre_delete.connect(_on_evidence_deleted, sender=Evidence, dispatch_uid=f"{UID}.evidence.delete")
    post_save.connect(_on_revision, sender=EvidenceRevision, dispatch_uid=f"{UID}.revision.save")
    post_delete.connect(_on_revision, sender=EvidenceRevision, dispatch_uid=f"{UID}.revision.delete")
    post_save.connect(_on_review, sender=Review, dispatch_uid=f"{UID}.review.save")
    for through in (Shipment.units.through, Evidence.shipments.through, Evidence.units.through,
                    Evidence.lots.through, Evidence.battery_models.through, MaterialLot.source_shipments.through,
                    MaterialLot.source_lots.through):
        m2m_changed.connect(_on_links, sender=through, dispatch_uid=f"{UID}.m2m.{through._meta.label_lower}")
