"""Rendering on the real Celery worker: the normal path, parts fanned out as a chord across the
worker's processes, and a worker process killed mid-render (the task is redelivered; no half file
is ever served)."""
import os
import signal
import subprocess
import time

import pytest
from django.core.files.storage import default_storage
from django_tenants.utils import schema_context

from apps.accounts.roles import Role
from apps.dossiers import manifest, services
from apps.dossiers.models import Dossier, DossierStatus
from apps.dossiers.registry.models import IssuedDossier
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.conftest import access_for
from tests.dossiers.conftest import make_shipment

pytestmark = pytest.mark.worker


def _request(organisation, units: int, reference: str):
    user = UserFactory()
    MembershipFactory(user=user, organisation=organisation, role=Role.STAFF)
    access = access_for(user, organisation, Role.STAFF)
    with schema_context(organisation.schema_name):
        shipment = make_shipment(reference, units=units)
        dossier = services.dossier_request(access=access, organisation=organisation, scope_kind="shipment",
                                           shipment_id=shipment.pk, language="zh-hans")
    return dossier


def _row(organisation, dossier):
    with schema_context(organisation.schema_name):
        return Dossier.objects.get(pk=dossier.pk)


def _files(folder: str) -> list[str]:
    dirs, files = default_storage.listdir(folder)
    return [f"{folder}/{f}" for f in files] + [f for d in dirs for f in _files(f"{folder}/{d}")]


def _pool_children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_worker_renders_a_requested_dossier(committed, celery_worker_process, wait_for):
    alpha = committed["alpha"]
    dossier = _request(alpha, 10, "SHP-W1")
    done = wait_for(lambda: (row := _row(alpha, dossier)).status == DossierStatus.DONE and row, timeout=240)
    assert done.progress == 100 and done.page_count >= 4
    assert manifest.check_pdf(services.read_bytes(done.file_name)).ok
    assert IssuedDossier.objects.filter(sha256=done.sha256, organisation_id=alpha.pk).exists()


def test_parts_render_in_parallel_and_merge(committed, celery_worker_process, wait_for, settings):
    settings.DOSSIER_PART_PAGES = 1  # stored on the row: the worker renders 3 parts as a chord
    alpha = committed["alpha"]
    dossier = _request(alpha, 150, "SHP-W2")
    done = wait_for(lambda: (row := _row(alpha, dossier)).status == DossierStatus.DONE and row, timeout=300)
    assert done.parts_total == 3 and done.parts_done == 3
    pdf = services.read_bytes(done.file_name)
    check = manifest.check_pdf(pdf)
    assert check.ok and check.manifest["unit_count"] == 150
    with schema_context(alpha.schema_name):
        assert sorted(_files(services.dossier_prefix(done).rstrip("/"))) == sorted(
            [done.snapshot_name, done.file_name])  # the parts were deleted after the merge


def test_killed_worker_process_is_retried_and_no_half_file_is_served(committed, celery_worker_process, wait_for,
                                                                    client_for):
    alpha = committed["alpha"]
    user = UserFactory()
    MembershipFactory(user=user, organisation=alpha, role=Role.VIEWER)
    client = client_for(user, alpha)
    dossier = _request(alpha, 1500, "SHP-W3")
    wait_for(lambda: _row(alpha, dossier).status == DossierStatus.RENDERING, timeout=120, interval=0.05)
    time.sleep(1.0)  # inside WeasyPrint's layout
    assert _row(alpha, dossier).status == DossierStatus.RENDERING
    for child in _pool_children(celery_worker_process.pid):
        os.kill(child, signal.SIGKILL)
    assert client.get(f"/dossiers/{dossier.pk}/download/").status_code == 404
    done = wait_for(lambda: (row := _row(alpha, dossier)).status == DossierStatus.DONE and row, timeout=400,
                    interval=0.5)
    assert done.attempts >= 2  # the redelivered task started a new attempt
    response = client.get(f"/dossiers/{dossier.pk}/download/")
    pdf = b"".join(response.streaming_content)
    assert response.status_code == 200 and services.sha256_hex(pdf) == done.sha256
    assert manifest.check_pdf(pdf).ok
