"""Writes for dossiers: request (freeze the snapshot), render stages, issue (file + public registry),
failure, and the download log. Rendering itself is in rendering.py; tasks.py only calls these.

No half-written dossier is ever served: the PDF is built in memory, hashed, written to storage under
its final name, checked, and only then the row becomes `done` in the same transaction that records
the hash in the public registry. Every new attempt first deletes whatever an interrupted attempt left.
"""
import gzip
import logging
import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.accounts.roles import Perm
from apps.activity.services import Actor, activity_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.core.hashing import sha256_hex
from apps.core.queue import enqueue_on_commit
from apps.tenants.hosts import public_url
from apps.traceability.models import BatteryModel, Shipment

from .builder import ScopeRef, build_snapshot
from .models import Dossier, DossierLanguage, DossierStatus, ScopeKind
from .registry.models import IssuedDossier
from .snapshot import Snapshot, snapshot_bytes, snapshot_load

logger = logging.getLogger(__name__)

MSG_NOT_ALLOWED = _("You do not have permission to do this.")
MSG_SHIPMENT_REQUIRED = _("Choose a shipment.")
MSG_MODEL_REQUIRED = _("Choose a battery model and a year.")
MSG_YEAR_INVALID = _("Enter a year between 2000 and 2100.")
MSG_PERIOD_REQUIRED = _("Enter the first and last day of the period.")
MSG_PERIOD_ORDER = _("The period must end on or after its first day.")
MSG_PERIOD_TOO_LONG = _("A period covers at most five years.")
MSG_LANGUAGE = _("Choose a language for the dossier.")
MSG_SCOPE_KIND = _("Choose what the dossier covers.")
MSG_RENDER_FAILED = _("The dossier could not be rendered. Request it again; if it fails again, contact support.")

ACTOR = Actor.system("dossier renderer")
VERIFY_PATH = "/verify/"


def _require(access: Access, perm: Perm) -> None:
    if not access.can(perm):
        raise PermissionDeniedError(MSG_NOT_ALLOWED, code="not_allowed")


def dossier_prefix(dossier: Dossier) -> str:
    return f"dossiers/{connection.schema_name}/{dossier.pk}/"


def verify_url() -> str:
    return public_url(VERIFY_PATH)


# --- request ----------------------------------------------------------------------------------

def scope_resolve(*, access: Access, scope_kind: str, shipment_id: Any = None, model_id: Any = None,
                  year: int | None = None, plant: str = "", period_start: date | None = None,
                  period_end: date | None = None) -> ScopeRef:
    """Validate the requested scope against the register; what the requester may not see is missing."""
    if scope_kind == ScopeKind.SHIPMENT:
        shipment = Shipment.objects.filter(pk=shipment_id).first() if shipment_id else None
        if shipment is None or not access.sees_shipment(shipment.pk):
            raise ApplicationError(MSG_SHIPMENT_REQUIRED, code="shipment_required", field="shipment")
        return ScopeRef(kind=scope_kind, shipment=shipment)
    if scope_kind == ScopeKind.MODEL_YEAR_PLANT:
        model = BatteryModel.objects.filter(pk=model_id).first() if model_id else None
        if model is None or access.is_restricted:
            raise ApplicationError(MSG_MODEL_REQUIRED, code="model_required", field="model")
        if year is None or not 2000 <= int(year) <= 2100:
            raise ApplicationError(MSG_YEAR_INVALID, code="year_invalid", field="year")
        return ScopeRef(kind=scope_kind, model=model, year=int(year),
                        plant=(plant or model.manufacturing_plant).strip()[:200])
    if scope_kind == ScopeKind.ORGANISATION_PERIOD:
        if access.is_restricted:
            raise PermissionDeniedError(MSG_NOT_ALLOWED, code="not_allowed")
        if period_start is None or period_end is None:
            raise ApplicationError(MSG_PERIOD_REQUIRED, code="period_required", field="period_start")
        if period_end < period_start:
            raise ApplicationError(MSG_PERIOD_ORDER, code="period_order", field="period_end")
        if (period_end - period_start).days > 5 * 366:
            raise ApplicationError(MSG_PERIOD_TOO_LONG, code="period_too_long", field="period_end")
        return ScopeRef(kind=scope_kind, period_start=period_start, period_end=period_end)
    raise ApplicationError(MSG_SCOPE_KIND, code="scope_kind", field="scope_kind")


def _store_snapshot(dossier: Dossier, snapshot: Snapshot) -> tuple[str, str]:
    raw = snapshot_bytes(snapshot)
    name = default_storage.save(dossier_prefix(dossier) + "snapshot.json.gz",
                                ContentFile(gzip.compress(raw, compresslevel=6, mtime=0)))
    return name, sha256_hex(raw)


def snapshot_read(dossier: Dossier) -> Snapshot:
    with default_storage.open(dossier.snapshot_name, "rb") as handle:
        return snapshot_load(gzip.decompress(handle.read()))


def dossier_request(*, access: Access, organisation: Any, scope_kind: str, language: str,
                    shipment_id: Any = None, model_id: Any = None, year: int | None = None, plant: str = "",
                    period_start: date | None = None, period_end: date | None = None,
                    enqueue: bool = True) -> Dossier:
    """Freeze the scope now (the snapshot is stored with its digest) and queue the rendering
    (`enqueue=False`: the caller renders it, as the demo seeder does)."""
    _require(access, Perm.DOSSIER_GENERATE)
    if language not in DossierLanguage.values:
        raise ApplicationError(MSG_LANGUAGE, code="language", field="language")
    scope = scope_resolve(access=access, scope_kind=scope_kind, shipment_id=shipment_id, model_id=model_id,
                          year=year, plant=plant, period_start=period_start, period_end=period_end)
    dossier_id = uuid.uuid4()
    now = timezone.now()
    snapshot = build_snapshot(scope=scope, dossier_id=dossier_id, organisation=organisation, language=language,
                              issuer_label=access.label, issued_at=now)
    dossier = Dossier(id=dossier_id, scope_kind=scope.kind, scope_id=scope.object_id, scope_year=scope.year,
                      scope_plant=scope.plant, period_start=scope.period_start, period_end=scope.period_end,
                      scope_label=scope.label[:300], language=language, unit_count=len(snapshot.units),
                      part_pages=settings.DOSSIER_PART_PAGES, requested_by_id=access.user_id,
                      requested_by_label=access.label)
    name, digest = _store_snapshot(dossier, snapshot)
    try:
        with transaction.atomic():
            dossier.snapshot_name, dossier.snapshot_digest = name, digest
            dossier.save(force_insert=True)
            activity_record(actor=access.actor, verb="dossier.requested", obj=dossier,
                            data={"scope": dossier.scope_label, "language": language, "snapshot_digest": digest,
                                  "units": dossier.unit_count})
            if enqueue:
                from .tasks import render_dossier_task

                enqueue_on_commit(render_dossier_task, dossier_id=str(dossier.pk))
    except Exception:
        default_storage.delete(name)
        raise
    return dossier


# --- rendering stages (called by the tasks) ---------------------------------------------------

def _clear_files(dossier: Dossier, keep: set[str]) -> None:
    """Delete what earlier attempts left under the dossier's prefix (never the snapshot)."""
    prefix = dossier_prefix(dossier)
    stack = [prefix.rstrip("/")]
    while stack:
        folder = stack.pop()
        try:
            dirs, files = default_storage.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
        stack.extend(f"{folder}/{d}" for d in dirs)
        for name in files:
            path = f"{folder}/{name}"
            if path not in keep:
                default_storage.delete(path)


def dossier_render_start(*, dossier_id: str) -> Dossier | None:
    """Begin an attempt: None when there is nothing to do (already issued or failed for good)."""
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().filter(pk=dossier_id).first()
        if dossier is None or dossier.status == DossierStatus.DONE:
            return None
        dossier.status = DossierStatus.RENDERING
        dossier.render_token = uuid.uuid4().hex
        dossier.attempts += 1
        dossier.progress = 2
        dossier.parts_done = 0
        dossier.error_code = ""
        dossier.save(update_fields=["status", "render_token", "attempts", "progress", "parts_done", "error_code",
                                    "updated_at"])
    _clear_files(dossier, keep={dossier.snapshot_name})
    return dossier


def dossier_progress(*, dossier: Dossier, progress: float) -> None:
    value = max(2, min(99, int(progress * 100)))
    Dossier.objects.filter(pk=dossier.pk, render_token=dossier.render_token, progress__lt=value).update(
        progress=value)


def dossier_plan_record(*, dossier: Dossier, front_pages: int, parts: int) -> None:
    dossier.front_pages, dossier.parts_total = front_pages, parts
    Dossier.objects.filter(pk=dossier.pk, render_token=dossier.render_token).update(
        front_pages=front_pages, parts_total=parts, progress=10)


def part_name(dossier: Dossier, part: int) -> str:
    return f"{dossier_prefix(dossier)}parts/{dossier.render_token}/part-{part:05d}.pdf"


def dossier_part_store(*, dossier: Dossier, part: int, pdf: bytes) -> None:
    name = part_name(dossier, part)
    if default_storage.exists(name):
        default_storage.delete(name)  # a redelivered part task renders it again
    default_storage.save(name, ContentFile(pdf))
    total = max(1, dossier.parts_total)
    Dossier.objects.filter(pk=dossier.pk, render_token=dossier.render_token).update(
        parts_done=F("parts_done") + 1)
    done = Dossier.objects.filter(pk=dossier.pk).values_list("parts_done", flat=True).first() or 0
    dossier_progress(dossier=dossier, progress=0.1 + 0.75 * min(done, total) / total)


def evidence_attachments(snapshot: Snapshot) -> list[tuple[str, str, bytes]]:
    """(revision id, file name, bytes) of the evidence files to attach, within the size cap."""
    if not settings.DOSSIER_ATTACH_EVIDENCE:
        return []
    budget = settings.DOSSIER_ATTACH_MAX_BYTES
    files = []
    for item in snapshot.evidence:
        if not item.file_present or item.size > budget:
            continue
        try:
            with default_storage.open(item.storage_name, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        if sha256_hex(data) != item.sha256:
            continue  # never attach a file that is not the one recorded at upload
        files.append((item.revision_id, item.original_filename, data))
        budget -= len(data)
    return files


@transaction.atomic
def dossier_issue(*, dossier: Dossier, pdf: bytes, page_count: int, cover: Any) -> Dossier:
    """Store the finished file, then mark the row done and record the hash publicly, atomically."""
    locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
    if locked.status == DossierStatus.DONE:
        return locked
    if locked.render_token != dossier.render_token:
        raise RuntimeError("a newer attempt owns this dossier")
    digest = sha256_hex(pdf)
    name = default_storage.save(f"{dossier_prefix(locked)}dossier-{digest[:16]}.pdf", ContentFile(pdf))
    stored = default_storage.size(name)
    if stored != len(pdf):
        default_storage.delete(name)
        raise RuntimeError("the stored dossier is incomplete")
    now = timezone.now()
    locked.status, locked.progress, locked.file_name = DossierStatus.DONE, 100, name
    locked.sha256, locked.size, locked.page_count, locked.issued_at = digest, len(pdf), page_count, now
    locked.save(update_fields=["status", "progress", "file_name", "sha256", "size", "page_count", "issued_at",
                               "updated_at"])
    with schema_context("public"):
        IssuedDossier.objects.create(
            sha256=digest, dossier_id=locked.pk, organisation_id=cover.organisation_id,
            organisation_name_en=cover.organisation_name_en, organisation_name_zh=cover.organisation_name_zh,
            scope_label=locked.scope_label, snapshot_digest=locked.snapshot_digest, issued_at=now)
    previous = list(Dossier.objects.filter(scope_kind=locked.scope_kind, scope_id=locked.scope_id,
                                           scope_year=locked.scope_year, period_start=locked.period_start,
                                           period_end=locked.period_end, language=locked.language,
                                           status=DossierStatus.DONE, superseded_by__isnull=True)
                    .exclude(pk=locked.pk).order_by("pk").select_for_update())
    for old in previous:
        old.superseded_by = locked
        old.save(update_fields=["superseded_by", "updated_at"])
    if previous:
        with schema_context("public"):
            IssuedDossier.objects.filter(dossier_id__in=[o.pk for o in previous]).update(
                superseded=True, superseded_at=now)
    activity_record(actor=ACTOR, verb="dossier.issued", obj=locked,
                    data={"sha256": digest, "pages": page_count, "size": len(pdf),
                          "supersedes": [str(o.pk) for o in previous]})
    _clear_files(locked, keep={locked.snapshot_name, name})
    return locked


@transaction.atomic
def dossier_fail(*, dossier_id: str, code: str, token: str | None = None) -> None:
    dossier = Dossier.objects.select_for_update().filter(pk=dossier_id).first()
    if dossier is None or dossier.status == DossierStatus.DONE:
        return
    if token is not None and dossier.render_token != token:
        return
    dossier.status, dossier.error_code = DossierStatus.FAILED, code[:40]
    dossier.save(update_fields=["status", "error_code", "updated_at"])
    activity_record(actor=ACTOR, verb="dossier.failed", obj=dossier, data={"code": code[:40]})
    _clear_files(dossier, keep={dossier.snapshot_name})


def dossier_download_record(*, access: Access, dossier: Dossier) -> None:
    """Every download is in the organisation's activity log (auditors' included)."""
    with transaction.atomic():
        activity_record(actor=access.actor, verb="dossier.downloaded", obj=dossier,
                        data={"sha256": dossier.sha256, "role": access.role})


def dossier_open(dossier: Dossier):
    return default_storage.open(dossier.file_name, "rb")


def read_bytes(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()
