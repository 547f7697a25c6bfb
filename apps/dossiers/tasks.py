"""Dossier rendering on the `pdf` queue (task names `*.render_*` are routed there).

`render_dossier_task` lays out the front matter, then renders the unit-list parts itself (one part,
or DOSSIER_PARALLEL_PARTS off) or fans them out as a chord of `render_dossier_part_task` across
the PDF workers, joined by `render_dossier_assemble_task`. Every task is idempotent and acks late:
a worker killed mid-render gets its task redelivered, which starts a fresh attempt (new token,
leftovers deleted); the row becomes `done` only with a complete, hashed file.
"""
import logging

from celery import chord, shared_task
from django.conf import settings
from django.db import connection

from . import services
from .models import Dossier

logger = logging.getLogger(__name__)
RETRIES = 2


def _fail_or_retry(task, dossier_id: str, error: Exception, token: str | None = None):
    if task.request.retries < RETRIES:
        raise task.retry(exc=error, countdown=3)
    logger.exception("dossier %s failed", dossier_id)
    services.dossier_fail(dossier_id=dossier_id, code=type(error).__name__, token=token)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=RETRIES)
def render_dossier_task(self, dossier_id: str) -> None:
    from . import rendering

    dossier = services.dossier_render_start(dossier_id=dossier_id)
    if dossier is None:
        return
    try:
        snapshot = services.snapshot_read(dossier)
        prepared = rendering.prepare(snapshot, dossier.snapshot_digest)
        verify = services.verify_url()
        _document, plan = rendering.front_layout(prepared, mode=dossier.language, verify_url=verify,
                                                 part_pages=dossier.part_pages)
        del _document
        services.dossier_plan_record(dossier=dossier, front_pages=plan.front_pages, parts=len(plan.parts))
        if settings.DOSSIER_PARALLEL_PARTS and len(plan.parts) > 1:
            # The schema travels explicitly: the chord's callback is published later, by whichever
            # worker finishes the last part.
            headers = {"_schema_name": connection.schema_name}
            chord(render_dossier_part_task.si(dossier_id=dossier_id, part=index, token=dossier.render_token)
                  .set(headers=headers) for index in range(len(plan.parts)))(
                render_dossier_assemble_task.si(dossier_id=dossier_id, token=dossier.render_token)
                .set(headers=headers))
            return
        parts = []
        for index in range(len(plan.parts)):
            parts.append(rendering.render_part(prepared, mode=dossier.language, plan=plan, part=index))
            services.dossier_progress(dossier=dossier, progress=0.1 + 0.75 * (index + 1) / len(plan.parts))
        _finish(dossier, prepared, plan, parts)
    except Exception as error:  # noqa: BLE001 - retried, then recorded as failed
        _fail_or_retry(self, dossier_id, error, token=dossier.render_token)


def _finish(dossier: Dossier, prepared, plan, parts) -> None:
    from . import rendering

    mode = dossier.language
    front_pdf, _manifest = rendering.render_front_final(
        prepared, mode=mode, plan=plan, verify_url=services.verify_url(),
        evidence_files=services.evidence_attachments(prepared.snapshot))
    services.dossier_progress(dossier=dossier, progress=0.9)
    pdf = rendering.assemble(front_pdf, parts, plan=plan, mode=mode, annex_title=rendering.label("sec_units", mode))
    services.dossier_issue(dossier=dossier, pdf=pdf, page_count=plan.total_pages, cover=prepared.snapshot.cover)


def _current(dossier_id: str, token: str) -> Dossier | None:
    dossier = Dossier.objects.filter(pk=dossier_id, render_token=token).first()
    if dossier is None or dossier.front_pages is None:
        return None  # an abandoned attempt: a newer one owns the dossier
    return dossier


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=RETRIES)
def render_dossier_part_task(self, dossier_id: str, part: int, token: str) -> None:
    from . import rendering

    dossier = _current(dossier_id, token)
    if dossier is None:
        return
    try:
        prepared = rendering.prepare(services.snapshot_read(dossier), dossier.snapshot_digest)
        plan = rendering.make_plan(front_pages=dossier.front_pages, units=len(prepared.snapshot.units),
                                   part_pages=dossier.part_pages)
        pdf = rendering.render_part(prepared, mode=dossier.language, plan=plan, part=part)
        services.dossier_part_store(dossier=dossier, part=part, pdf=pdf)
    except Exception as error:  # noqa: BLE001
        _fail_or_retry(self, dossier_id, error, token=token)
        raise


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=RETRIES)
def render_dossier_assemble_task(self, dossier_id: str, token: str) -> None:
    from . import rendering

    dossier = _current(dossier_id, token)
    if dossier is None:
        return
    try:
        prepared = rendering.prepare(services.snapshot_read(dossier), dossier.snapshot_digest)
        plan = rendering.make_plan(front_pages=dossier.front_pages, units=len(prepared.snapshot.units),
                                   part_pages=dossier.part_pages)
        parts = [services.read_bytes(services.part_name(dossier, index)) for index in range(len(plan.parts))]
        _finish(dossier, prepared, plan, parts)
    except Exception as error:  # noqa: BLE001
        _fail_or_retry(self, dossier_id, error, token=token)
