"""Writes of the evidence vault: upload, new revision, review, expiry, download log, orphan sweep.

Upload order (nothing half-stored): validate the metadata and key fields → stage the file locally while
hashing it → inspect it → put it into storage → write the rows and the activity entry in one
transaction. Any refusal before storage leaves nothing; any failure after it (a database error
included) deletes the stored file before the error goes on. A caller that uploads as one part of a
larger change (a custody step: rows in two schemas, a ledger entry) runs that change in
`atomic_with_uploads()`, which deletes the files its uploads stored when the change does not commit.
Any other transaction of a caller that could still roll back after the upload returned leaves the file
to the nightly orphan sweep.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import IO, Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.access import Access
from apps.accounts.roles import Perm
from apps.activity.services import Actor, activity_record
from apps.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from apps.traceability.models import BatteryModel, BatteryUnit, MaterialLot, Shipment

from . import inspection, storage
from .doctypes import DocType, doctype
from .keyfields import KeyFieldsInvalid
from .models import Evidence, EvidenceRevision, EvidenceSource, EvidenceType, Review, ReviewDecision, RevisionStatus
from .signals import evidence_changed

MSG_NOT_ALLOWED = _("You do not have permission to do this.")
MSG_TYPE_INVALID = _("Choose a document type.")
MSG_TITLE_REQUIRED = _("Enter a title.")
MSG_TOO_LONG = _("At most %(n)s characters.")
MSG_KEY_FIELDS = _("Some key fields are not valid: %(problems)s")
MSG_EFFECTIVE_REQUIRED = _("Enter the date from which this document is valid.")
MSG_EXPIRY_REQUIRED = _("Enter the date on which this document expires.")
MSG_DATES_REVERSED = _("The expiry date is before the effective date.")
MSG_NO_FILE = _("Choose a file to upload.")
MSG_OWN_UPLOAD = _("You uploaded this revision yourself; another compliance manager or owner must review it.")
MSG_REVIEW_BY_KEY = _("Reviews are a person's decision: sign in to review (API keys cannot review).")
MSG_NOT_SUBMITTED = _("This revision is no longer awaiting review (it is now: %(status)s).")
MSG_REASON_REQUIRED = _("Give the reason for rejecting this revision.")
MSG_CONCURRENT = _("Someone changed this document at the same moment. Reload the page and try again.")
MSG_NOT_FOUND_LINKS = _("Not found in the register: %(ids)s")
MSG_RESTRICTED = _("Your access is limited to some shipments; you cannot change evidence.")

KEEP: Any = object()  # "leave as in the current revision" (new revision without these inputs)

SYSTEM_EXPIRY = Actor.system("nightly expiry")


@dataclass(frozen=True)
class Links:
    shipments: Sequence[Shipment] = field(default_factory=tuple)
    lots: Sequence[MaterialLot] = field(default_factory=tuple)
    units: Sequence[BatteryUnit] = field(default_factory=tuple)
    battery_models: Sequence[BatteryModel] = field(default_factory=tuple)


def _require(access: Access, perm: Perm) -> None:
    if not access.can(perm):
        raise PermissionDeniedError(MSG_NOT_ALLOWED, code="not_allowed")
    if access.is_restricted and perm != Perm.VIEW:
        raise PermissionDeniedError(MSG_RESTRICTED, code="not_allowed")


def _doctype(code: str) -> DocType:
    if code not in EvidenceType.values:
        raise ApplicationError(MSG_TYPE_INVALID, code="doc_type_invalid", field="doc_type")
    return doctype(code)


def _text(value: str, name: str, max_length: int, required: bool = False) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise ApplicationError(MSG_TITLE_REQUIRED, code=f"{name}_required", field=name)
    if len(value) > max_length:
        raise ApplicationError(MSG_TOO_LONG % {"n": max_length}, code=f"{name}_too_long", field=name)
    return value


def validate_key_fields(dt: DocType, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """The canonical key fields, or ApplicationError `key_fields_invalid` carrying every problem
    (`extra["errors"]`: [{field, code, message}]) so forms and API clients can show each one."""
    try:
        return dt.validate(raw)
    except KeyFieldsInvalid as invalid:
        described = "; ".join(f"{_field_label(dt, p.field)}: {p.message}" for p in invalid.problems)
        raise ApplicationError(MSG_KEY_FIELDS % {"problems": described}, code="key_fields_invalid",
                               field="key_fields",
                               extra={"errors": [p.as_dict() for p in invalid.problems]}) from None


def _field_label(dt: DocType, dotted: str) -> str:
    head, _sep, rest = dotted.partition(".")
    spec_field = dt.spec.field(head)
    label = str(spec_field.label) if spec_field else head
    return f"{label} ({rest})" if rest else label


def _check_dates(dt: DocType, effective: date | None, expiry: date | None) -> None:
    if dt.effective_required and effective is None:
        raise ApplicationError(MSG_EFFECTIVE_REQUIRED, code="effective_date_required", field="effective_date")
    if dt.expiry_required and expiry is None:
        raise ApplicationError(MSG_EXPIRY_REQUIRED, code="expiry_date_required", field="expiry_date")
    if effective and expiry and expiry < effective:
        raise ApplicationError(MSG_DATES_REVERSED, code="dates_reversed", field="expiry_date")


def _refused(refusal: inspection.UploadRefused) -> ApplicationError:
    return ApplicationError(refusal.text, code=refusal.code, field="file")


def _limits() -> inspection.Limits:
    from django.conf import settings

    return inspection.Limits(
        archive_max_ratio=settings.EVIDENCE_ARCHIVE_MAX_RATIO,
        archive_max_expanded=settings.EVIDENCE_ARCHIVE_MAX_EXPANDED_BYTES,
        archive_max_members=settings.EVIDENCE_ARCHIVE_MAX_MEMBERS,
        archive_max_depth=settings.EVIDENCE_ARCHIVE_MAX_DEPTH,
    )


def size_label(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def too_large_error() -> ApplicationError:
    refusal = inspection.UploadRefused("too_large", inspection.MSG_TOO_LARGE,
                                       limit=size_label(storage.max_upload_bytes()))
    return _refused(refusal)


@dataclass
class _Prepared:
    staged: storage.Staged
    filename: str
    content_type: str
    flags: list[dict[str, Any]]


def _prepare_file(upload: IO[bytes] | Any, filename: str | None, expiry: date | None) -> _Prepared:
    """Stage, hash and inspect. Returns with the staged copy (caller discards it) or raises with nothing
    left behind."""
    if upload is None:
        raise ApplicationError(MSG_NO_FILE, code="file_required", field="file")
    try:
        name = inspection.clean_filename(filename if filename is not None else storage.raw_name_of(upload))
    except inspection.UploadRefused as refusal:
        raise _refused(refusal) from None
    try:
        staged = storage.stage(upload, storage.max_upload_bytes())
    except storage.TooLarge:
        raise too_large_error() from None
    try:
        if staged.size == 0:
            raise inspection.UploadRefused("empty", inspection.MSG_EMPTY)
        result = inspection.inspect_file(staged.path, name, _limits())
    except inspection.UploadRefused as refusal:
        staged.discard()
        raise _refused(refusal) from None
    except BaseException:
        staged.discard()
        raise
    flags = list(result.flags)
    duplicate = (EvidenceRevision.objects.filter(sha256=staged.sha256).order_by("created_at")
                 .values("id", "evidence_id").first())
    if duplicate:
        flags.append({"code": "duplicate", "evidence_id": str(duplicate["evidence_id"]),
                      "revision_id": str(duplicate["id"])})
    if expiry is not None and expiry < timezone.localdate():
        flags.append({"code": "expired_at_upload"})
    return _Prepared(staged, name, result.content_type, flags)


# Files stored by uploads inside `atomic_with_uploads()` (None outside it).
_stored_in_caller: ContextVar[list[str] | None] = ContextVar("evidence_stored_in_caller", default=None)


@contextmanager
def atomic_with_uploads() -> Iterator[None]:
    """A transaction for a change that uploads evidence as one of its parts: when it does not commit
    (a refusal or an error later in the caller's work, a failed commit), the files its uploads stored
    are deleted again, so neither rows nor files remain. Nested blocks hand their files to the
    enclosing one."""
    stored: list[str] = []
    enclosing = _stored_in_caller.get()
    token = _stored_in_caller.set(stored)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        for name in stored:
            storage.delete(name)
        raise
    finally:
        _stored_in_caller.reset(token)
    if enclosing is not None:
        enclosing.extend(stored)


def _store_then(prepared: _Prepared, revision_id: uuid.UUID, write: Any) -> Any:
    """Store the staged file, then run `write(storage_name)` in a transaction; on any failure of the
    transaction the stored file is deleted again (and, inside `atomic_with_uploads`, on any failure of
    the caller's transaction)."""
    try:
        name = storage.store(prepared.staged, storage.storage_name_for(connection.schema_name, revision_id))
        caller = _stored_in_caller.get()
        if caller is not None:
            caller.append(name)
        try:
            with transaction.atomic():
                return write(name)
        except IntegrityError as exc:
            storage.delete(name)
            if "revision_one_current" in str(exc) or "revision_number_unique" in str(exc):
                raise ConflictError(MSG_CONCURRENT, code="concurrent_change") from exc
            raise
        except BaseException:
            storage.delete(name)
            raise
    finally:
        prepared.staged.discard()


def _on_commit_changed(evidence: Evidence) -> None:
    schema = connection.schema_name
    evidence_id = evidence.pk
    transaction.on_commit(lambda: evidence_changed.send(sender=Evidence, evidence_id=evidence_id, schema=schema))


def _revision_data(revision: EvidenceRevision) -> dict[str, Any]:
    return {"evidence": str(revision.evidence_id), "revision": revision.number, "sha256": revision.sha256,
            "size": revision.size, "content_type": revision.content_type, "filename": revision.original_filename}


@dataclass(frozen=True)
class _Uploader:
    id: uuid.UUID | None
    label: str


def _uploader(access: Access) -> _Uploader:
    return _Uploader(access.user_id or access.api_key_id, access.label[:254])


def evidence_upload(*, access: Access, doc_type: str, title: str, upload: IO[bytes] | Any,
                    filename: str | None = None, key_fields: Mapping[str, Any] | None = None,
                    effective_date: date | None = None, expiry_date: date | None = None, reference: str = "",
                    issuer: str = "", links: Links | None = None, source: str | None = None) -> EvidenceRevision:
    """A new evidence document with its first revision (status submitted)."""
    _require(access, Perm.EVIDENCE_UPLOAD)
    dt = _doctype(doc_type)
    title = _text(title, "title", 300, required=True)
    reference = _text(reference, "reference", 100)
    issuer = _text(issuer, "issuer", 200)
    cleaned = validate_key_fields(dt, key_fields)
    _check_dates(dt, effective_date, expiry_date)
    links = links or Links()
    source = source or (EvidenceSource.API if access.api_key_id else EvidenceSource.UPLOAD)
    prepared = _prepare_file(upload, filename, expiry_date)
    revision_id = uuid.uuid4()
    uploader = _uploader(access)

    def write(storage_name: str) -> EvidenceRevision:
        evidence = Evidence.objects.create(doc_type=dt.code, title=title, reference=reference, issuer=issuer,
                                           source=source, created_by_id=uploader.id)
        _set_links(evidence, links)
        revision = EvidenceRevision.objects.create(
            id=revision_id, evidence=evidence, number=1, storage_name=storage_name,
            original_filename=prepared.filename, sha256=prepared.staged.sha256, size=prepared.staged.size,
            content_type=prepared.content_type, effective_date=effective_date, expiry_date=expiry_date,
            key_fields=cleaned, flags=prepared.flags, status=RevisionStatus.SUBMITTED,
            uploaded_by_id=uploader.id, uploaded_by_label=uploader.label)
        evidence.current_revision = revision
        evidence.save(update_fields=["current_revision", "updated_at"])
        activity_record(actor=access.actor, verb="evidence.uploaded", obj=revision,
                        data={**_revision_data(revision), "doc_type": dt.code, "title": title,
                              "links": _links_data(links)})
        _on_commit_changed(evidence)
        return revision

    return _store_then(prepared, revision_id, write)


def _set_links(evidence: Evidence, links: Links) -> None:
    if links.shipments:
        evidence.shipments.set(links.shipments)
    if links.lots:
        evidence.lots.set(links.lots)
    if links.units:
        evidence.units.set(links.units)
    if links.battery_models:
        evidence.battery_models.set(links.battery_models)


def _links_data(links: Links) -> dict[str, list[str]]:
    return {"shipments": [s.reference for s in links.shipments], "lots": [lot.code for lot in links.lots],
            "units": [u.code for u in links.units], "battery_models": [m.code for m in links.battery_models]}


def evidence_revise(*, access: Access, evidence: Evidence, upload: IO[bytes] | Any, filename: str | None = None,
                    key_fields: Mapping[str, Any] | None = KEEP, effective_date: date | None = KEEP,
                    expiry_date: date | None = KEEP) -> EvidenceRevision:
    """A new revision of `evidence`; the revision it replaces becomes superseded (whatever its status).
    Key fields and dates left as KEEP are taken over from the current revision (and validated again)."""
    _require(access, Perm.EVIDENCE_UPLOAD)
    dt = _doctype(evidence.doc_type)
    current = evidence.current_revision
    if key_fields is KEEP:
        key_fields = current.key_fields if current else {}
    if effective_date is KEEP:
        effective_date = current.effective_date if current else None
    if expiry_date is KEEP:
        expiry_date = current.expiry_date if current else None
    cleaned = validate_key_fields(dt, key_fields)
    _check_dates(dt, effective_date, expiry_date)
    prepared = _prepare_file(upload, filename, expiry_date)
    revision_id = uuid.uuid4()
    uploader = _uploader(access)

    def write(storage_name: str) -> EvidenceRevision:
        locked = Evidence.objects.select_for_update().get(pk=evidence.pk)
        previous = (EvidenceRevision.objects.select_for_update().filter(evidence=locked)
                    .exclude(status=RevisionStatus.SUPERSEDED).first())
        number = (EvidenceRevision.objects.filter(evidence=locked).aggregate(n=Max("number"))["n"] or 0) + 1
        if previous is not None:
            old_status = previous.status
            previous.status = RevisionStatus.SUPERSEDED
            previous.save(update_fields=["status", "updated_at"])
            activity_record(actor=access.actor, verb="evidence.superseded", obj=previous,
                            data={"evidence": str(locked.pk), "revision": previous.number, "from": old_status,
                                  "by_revision": number})
        revision = EvidenceRevision.objects.create(
            id=revision_id, evidence=locked, number=number, storage_name=storage_name,
            original_filename=prepared.filename, sha256=prepared.staged.sha256, size=prepared.staged.size,
            content_type=prepared.content_type, effective_date=effective_date, expiry_date=expiry_date,
            key_fields=cleaned, flags=prepared.flags, status=RevisionStatus.SUBMITTED,
            uploaded_by_id=uploader.id, uploaded_by_label=uploader.label)
        locked.current_revision = revision
        locked.save(update_fields=["current_revision", "updated_at"])
        activity_record(actor=access.actor, verb="evidence.revised", obj=revision,
                        data={**_revision_data(revision), "doc_type": locked.doc_type})
        _on_commit_changed(locked)
        return revision

    return _store_then(prepared, revision_id, write)


# --- review -------------------------------------------------------------------------------------

def _lock_for_review(access: Access, revision: EvidenceRevision) -> EvidenceRevision:
    _require(access, Perm.EVIDENCE_REVIEW)
    if access.api_key_id is not None or access.user_id is None:
        raise PermissionDeniedError(MSG_REVIEW_BY_KEY, code="review_by_api_key")
    locked = (EvidenceRevision.objects.select_for_update(of=("self",)).select_related("evidence")
              .get(pk=revision.pk))
    if locked.status != RevisionStatus.SUBMITTED:
        raise ConflictError(MSG_NOT_SUBMITTED % {"status": locked.get_status_display()}, code="not_submitted")
    if locked.uploaded_by_id is not None and locked.uploaded_by_id == access.user_id:
        raise PermissionDeniedError(MSG_OWN_UPLOAD, code="own_upload")
    return locked


def _decide(access: Access, revision: EvidenceRevision, decision: str, reason: str) -> EvidenceRevision:
    locked = _lock_for_review(access, revision)
    locked.status = RevisionStatus.ACCEPTED if decision == ReviewDecision.ACCEPTED else RevisionStatus.REJECTED
    locked.reviewed_by_id = access.user_id
    locked.reviewed_by_label = access.label[:254]
    locked.reviewed_at = timezone.now()
    locked.rejection_reason = reason
    locked.save(update_fields=["status", "reviewed_by_id", "reviewed_by_label", "reviewed_at", "rejection_reason",
                               "updated_at"])
    Review.objects.create(revision=locked, decision=decision, reason=reason, reviewer_id=access.user_id,
                          reviewer_label=access.label[:254])
    activity_record(actor=access.actor, verb=f"evidence.{decision}", obj=locked,
                    data={"evidence": str(locked.evidence_id), "revision": locked.number, "reason": reason,
                          "sha256": locked.sha256})
    _on_commit_changed(locked.evidence)
    return locked


@transaction.atomic
def revision_accept(*, access: Access, revision: EvidenceRevision) -> EvidenceRevision:
    """Four eyes: only a compliance manager or owner, never the uploader; one decision per revision
    (the row lock makes a second, simultaneous reviewer see it is no longer submitted)."""
    return _decide(access, revision, ReviewDecision.ACCEPTED, "")


@transaction.atomic
def revision_reject(*, access: Access, revision: EvidenceRevision, reason: str) -> EvidenceRevision:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(MSG_REASON_REQUIRED, code="reason_required", field="reason")
    if len(reason) > 2000:
        raise ApplicationError(MSG_TOO_LONG % {"n": 2000}, code="reason_too_long", field="reason")
    return _decide(access, revision, ReviewDecision.REJECTED, reason)


# --- nightly ------------------------------------------------------------------------------------

@transaction.atomic
def revisions_expire_due(*, today: date | None = None) -> int:
    """Mark submitted and accepted revisions whose expiry date has passed (expiry date < today) as
    expired, in the current organisation. Idempotent: a second run finds nothing to do."""
    today = today or timezone.localdate()
    due = (EvidenceRevision.objects.select_for_update(skip_locked=True)
           .filter(status__in=[RevisionStatus.SUBMITTED, RevisionStatus.ACCEPTED], expiry_date__lt=today)
           .order_by("pk"))
    count = 0
    for revision in due:
        old_status = revision.status
        revision.status = RevisionStatus.EXPIRED
        revision.save(update_fields=["status", "updated_at"])
        activity_record(actor=SYSTEM_EXPIRY, verb="evidence.expired", obj=revision,
                        data={"evidence": str(revision.evidence_id), "revision": revision.number,
                              "from": old_status, "expiry_date": revision.expiry_date.isoformat()})
        count += 1
    return count


def evidence_orphans_sweep(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete stored files of this organisation that no revision refers to (left by a caller's
    transaction that rolled back after the upload), once they are older than `older_than`."""
    referenced = set(EvidenceRevision.objects.values_list("storage_name", flat=True))
    cutoff = timezone.now() - older_than
    removed = 0
    for name in storage.stored_names(connection.schema_name):
        if name in referenced:
            continue
        try:
            modified = storage.default_storage.get_modified_time(name)
        except (FileNotFoundError, NotImplementedError):
            continue
        if modified < cutoff:
            storage.delete(name)
            removed += 1
    return removed


@transaction.atomic
def revision_download_record(*, access: Access, revision: EvidenceRevision) -> None:
    """Every download is logged (auditors' downloads must be visible to the organisation)."""
    activity_record(actor=access.actor, verb="evidence.downloaded", obj=revision,
                    data={"evidence": str(revision.evidence_id), "revision": revision.number,
                          "sha256": revision.sha256, "role": access.role})
