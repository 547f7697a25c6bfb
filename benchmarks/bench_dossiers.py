"""Dossier rendering for huge scopes, against the naive render, side by side in this run.

- 10,000-unit shipment dossier. Ours: the production path (`rendering.render_dossier`: front matter,
  unit-list annex as fixed-height `<pre>` pages rendered in parts, merged with pypdf, PDF/A-3 with the
  manifest, sealed), in one process, i.e. one PDF worker (more workers only make it faster). Naive:
  the same front matter with the unit list as one HTML table in a single WeasyPrint render.
  Targets: time ratio (naive / ours) >= 3 and peak-memory ratio (naive / ours) >= 4.
- 100,000-unit dossier with our path: peak memory as a ratio to the 1 GB limit (target <= 1).

Each render runs in its own subprocess; its peak RSS is read from os.wait4's rusage (ru_maxrss).
The snapshot is taken from the database by the real builder (units bulk-created in a bench
organisation). The naive render is bounded by NAIVE_TIMEOUT seconds: when it is stopped there, its
time is reported as at least that (the ratio is then a lower bound, stated in the note).

    python benchmarks/bench_dossiers.py render {ours|naive} SNAPSHOT.json.gz OUT.pdf
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAIVE_TIMEOUT = int(os.environ.get("BENCH_DOSSIER_NAIVE_TIMEOUT", "900"))
GB = 1024 ** 3
VERIFY_URL = "http://localhost:8000/verify/"


# --- subprocess side -----------------------------------------------------------------------------

NAIVE_TABLE_CSS = """
table.units { width: 100%; border-collapse: collapse; font-size: 7.5pt; }
table.units th, table.units td { border: 0.4pt solid #b7c3cf; padding: 0.6mm 1mm; }
"""


def naive_html(prepared, mode: str) -> str:
    """The straightforward template: the same front matter, every unit as a row of one table."""
    from django.utils.html import escape

    from apps.dossiers import rendering

    plan = rendering.make_plan(front_pages=1, units=0)
    front = rendering.front_html(prepared, mode=mode, plan=plan, verify_url=VERIFY_URL)
    head = "".join(f"<th>{escape(rendering.label(key, mode))}</th>" for key, _f, _w in rendering.UNIT_COLUMNS)
    rows = []
    for index, unit in enumerate(prepared.snapshot.units, start=1):
        cells = [str(index), unit.code, unit.level, unit.status, unit.model_code, unit.manufactured_on, unit.mass_kg,
                 unit.original_code]
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    table = (f"<style>{NAIVE_TABLE_CSS}</style><table class='units'><thead><tr>{head}</tr></thead>"
             f"<tbody>{''.join(rows)}</tbody></table>")
    return front.replace("</body>", table + "</body>")


def render_in_subprocess(kind: str, snapshot_path: str, out_path: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from apps.dossiers import rendering
    from apps.dossiers.snapshot import snapshot_from_dict

    raw = gzip.decompress(Path(snapshot_path).read_bytes())
    snapshot = snapshot_from_dict(json.loads(raw))
    digest = __import__("hashlib").sha256(raw).hexdigest()
    del raw
    mode = "zh-hans"
    if kind == "ours":
        pdf = rendering.render_dossier(snapshot, digest=digest, mode=mode, verify_url=VERIFY_URL).pdf
    else:
        prepared = rendering.prepare(snapshot, digest)
        document = rendering.layout(naive_html(prepared, mode))
        pdf = rendering.write_pdf(document)
    Path(out_path).write_bytes(pdf)


# --- harness side ------------------------------------------------------------------------------

def _measure(kind: str, snapshot_path: Path, out: Path, timeout: float | None = None) -> tuple[float, int, bool]:
    """(wall seconds, peak RSS bytes, finished) of one render in a fresh process."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, "render", kind, str(snapshot_path), str(out)], cwd=ROOT,
                               env=env)
    finished = True
    deadline = None if timeout is None else start + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if deadline is not None and time.perf_counter() > deadline:
            process.kill()
            pid, status, usage = os.wait4(process.pid, 0)
            finished = False
            break
        time.sleep(0.2)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if finished and process.returncode != 0:
        raise RuntimeError(f"{kind} render failed with status {process.returncode}")
    return elapsed, usage.ru_maxrss * 1024, finished


def _bench_scope(units: int, slug: str):
    """A shipment of `units` units with evidence and lots in a bench organisation; its snapshot."""
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from apps.dossiers import builder
    from apps.evidence.models import Evidence, EvidenceRevision
    from apps.tenants.models import Organisation
    from apps.tenants.services import organisation_create, public_organisation_ensure
    from apps.traceability.models import BatteryModel, BatteryUnit, MaterialLot, Shipment, ShipmentMass, ShipmentUnit

    public_organisation_ensure(domain=settings.CELLPASS_DOMAIN)
    organisation = Organisation.objects.filter(slug=slug).first() or organisation_create(
        slug=slug, name_en="Bench Battery Export Co.", name_zh="基准电池出口有限公司", kind="exporter", country="CN")
    connection.set_schema_to_public()
    with schema_context(organisation.schema_name):
        model = BatteryModel.objects.create(code=f"BM-{units}", name="华源 LFP 280Ah", eu_category="ev",
                                            chemistry="lfp")
        shipment = Shipment.objects.create(reference=f"BENCH-{units}", direction="outbound",
                                           counterparty_name="EcoCycle GmbH", dispatch_date=date(2026, 4, 1))
        batch = 20000
        for start in range(0, units, batch):
            created = BatteryUnit.objects.bulk_create(
                BatteryUnit(code=f"03HPB0DK0A0BCS4C{i:08d}", scheme="gbt34014", level="pack", model=model,
                            status="waste" if i % 5 else "original", manufactured_on=date(2020, 1, 1),
                            mass_kg=Decimal("310.500"))
                for i in range(start, min(units, start + batch)))
            ShipmentUnit.objects.bulk_create(ShipmentUnit(shipment=shipment, unit=u) for u in created)
        ShipmentMass.objects.create(shipment=shipment, chemistry="lfp", net_mass_kg=Decimal(units * 310))
        lot = MaterialLot.objects.create(code=f"BM-LOT-{units}", kind="black_mass", mass_kg=Decimal(units * 100))
        lot.source_shipments.add(shipment)
        for n in range(30):
            evidence = Evidence.objects.create(doc_type="transport_manifest", title=f"运单 Manifest {n}")
            evidence.shipments.add(shipment)
            EvidenceRevision.objects.create(evidence=evidence, number=1, storage_name=f"bench/missing-{n}.pdf",
                                            original_filename=f"manifest-{n}.pdf", sha256=f"{n:064x}", size=1000,
                                            content_type="application/pdf")
        snapshot = builder.build_snapshot(scope=builder.ScopeRef(kind="shipment", shipment=shipment),
                                          dossier_id=shipment.pk, organisation=organisation, language="zh-hans",
                                          issuer_label="bench", issued_at=timezone.now())
    connection.set_schema_to_public()
    return snapshot


def _write_snapshot(snapshot, folder: Path, name: str) -> Path:
    from apps.dossiers.snapshot import snapshot_bytes

    path = folder / name
    path.write_bytes(gzip.compress(snapshot_bytes(snapshot), compresslevel=1))
    return path


def run():
    from benchmarks.common import Result

    results = []
    with tempfile.TemporaryDirectory(prefix="bench-dossiers-") as tmp:
        folder = Path(tmp)
        snapshot = _bench_scope(10_000, "bench-dossier-10k")
        ten_k = _write_snapshot(snapshot, folder, "10k.json.gz")
        del snapshot
        ours_time, ours_rss, _ = _measure("ours", ten_k, folder / "ours.pdf")
        naive_time, naive_rss, finished = _measure("naive", ten_k, folder / "naive.pdf", timeout=NAIVE_TIMEOUT)
        bound = "" if finished else f" (naive stopped at {NAIVE_TIMEOUT} s: the ratio is a lower bound)"
        results.append(Result("dossier 10,000 units: time, naive table / ours", ours_time, naive_time, "s",
                              ratio=naive_time / ours_time, target=3.0, higher_is_better=True,
                              note=f"one process each; ours = parts + merge + PDF/A-3 + seal{bound}"))
        results.append(Result("dossier 10,000 units: peak RSS, naive table / ours", ours_rss / 2**20,
                              naive_rss / 2**20, "MB", ratio=naive_rss / ours_rss, target=4.0,
                              higher_is_better=True, note=f"ru_maxrss of each render process{bound}"))
        snapshot = _bench_scope(100_000, "bench-dossier-100k")
        hundred_k = _write_snapshot(snapshot, folder, "100k.json.gz")
        del snapshot
        big_time, big_rss, _ = _measure("ours", hundred_k, folder / "ours-100k.pdf")
        size = (folder / "ours-100k.pdf").stat().st_size
        results.append(Result("dossier 100,000 units: peak RSS / 1 GB limit", big_rss / 2**20, GB / 2**20, "MB",
                              ratio=big_rss / GB, target=1.0, higher_is_better=False,
                              note=f"completed in {big_time:.0f} s, {size / 2**20:.1f} MB PDF"))
    return results


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "render":
    render_in_subprocess(sys.argv[2], sys.argv[3], sys.argv[4])
