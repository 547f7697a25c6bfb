"""Traceability register: bulk import speed and memory, and list pages that cost the same at any size.

1. Import 100,000 units (1,000 packs x 9 modules x 10 cells) from CSV: the commit (the rows its dry run parsed,
   validated and staged are loaded with COPY; duplicates, parents, models and existing rows are checked again in
   SQL; foreign keys once for the file; one INSERT ... SELECT) in rows/s, against PostgreSQL COPY of the same CSV
   into a plain table in the same run. Target: >= 20,000 rows/s. Printed beside it: the dry run, both together,
   and a commit that has to parse the file again.
2. Dry run of a 1,000,000-row CSV: peak resident-memory growth against the file size (streamed: flat).
3. Unit list page and API with 100,000 units: median server time per page against the same page of a register
   of 10 units, with the query count of each (equal counts are asserted in the test suite).
"""
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.test import Client
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.accounts.models import Membership, User
from apps.accounts.roles import Role
from apps.activity.services import Actor
from apps.tenants.models import Organisation
from apps.tenants.services import organisation_create, public_organisation_ensure
from apps.traceability import services
from apps.traceability.models import BatteryModel, BatteryUnit
from apps.traceability.services.imports import staged_name
from benchmarks.common import Result

PACKS, MODULES, CELLS = 1_000, 9, 10
ROWS = PACKS * (1 + MODULES + MODULES * CELLS)
MILLION = 1_000_000
PAGE_REPEAT = 15
TARGET_ROWS_PER_S = 20_000


def _code(kind: str, serial: int) -> str:
    return f"BNC{kind}EPM27KLPCLX2M{serial:07d}"


def unit_csv(path: Path) -> int:
    """100,000 units as an ERP would export them: packs, their modules, their cells."""
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("code,level,parent_code,model_code,status,manufacture_date,mass_kg\n")
        for p in range(PACKS):
            pack = _code("P", p)
            out.write(f"{pack},pack,,BENCH-NCM,original,2024-03-15,412.5\n")
            for m in range(MODULES):
                module_serial = p * MODULES + m
                module = _code("M", module_serial)
                out.write(f"{module},module,{pack},BENCH-NCM,original,2024-03-15,\n")
                for c in range(CELLS):
                    out.write(f"{_code('C', module_serial * CELLS + c)},cell,{module},,,,\n")
                rows += 1 + CELLS
            rows += 1
    return rows


def million_csv(path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("code,level\n")
        block = []
        for i in range(MILLION):
            block.append(f"{_code('C', i)},cell\n")
            if len(block) == 10_000:
                out.write("".join(block))
                block = []
        out.write("".join(block))


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


class PeakRss:
    """Samples the resident set every 20 ms (cheaper and less intrusive than tracemalloc on a long run)."""

    def __enter__(self):
        self.start = self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())

    @property
    def growth(self) -> float:
        return self.peak - self.start


def _organisation(slug: str) -> Organisation:
    organisation = Organisation.objects.filter(slug=slug).first() or organisation_create(
        slug=slug, name_en=f"Bench {slug}", kind="exporter", country="CN", actor=Actor.system("bench"))
    connection.set_schema_to_public()
    return organisation


def _owner(organisation: Organisation, role: str = Role.OWNER) -> tuple[User, Access]:
    email = f"{role}@{organisation.slug}.bench"
    user = User.objects.filter(email=email).first() or User.objects.create_user(email=email, password=None)
    Membership.objects.get_or_create(user=user, organisation=organisation, defaults={"role": role})
    return user, Access(organisation_id=organisation.pk, role=role, user_id=user.pk, label=email)


def _copy_baseline(path: Path) -> float:
    """PostgreSQL COPY of the same CSV into a plain table of the same columns: the physical floor."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_copy (code text, level text, parent_code text, model_code text, "
                       "status text, manufactured_on date, mass_kg numeric)")
        start = time.perf_counter()
        with open(path, "rb") as source, cursor.copy("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)") \
                as copy:
            while chunk := source.read(1024 * 1024):
                copy.write(chunk)
        elapsed = time.perf_counter() - start
        cursor.execute("SELECT count(*) FROM bench_copy")
        assert cursor.fetchone()[0] == ROWS
        cursor.execute("DROP TABLE bench_copy")
    return elapsed


def _import(path: Path, organisation: Organisation, access: Access, *, reuse: bool) -> tuple[float, float]:
    """Dry run, then commit; seconds of each. Without `reuse` the commit parses the file again, as it does when
    the rules, the code or the day changed since the dry run."""
    with schema_context(organisation.schema_name):
        if not BatteryModel.objects.filter(code="BENCH-NCM").exists():
            services.battery_model_create(access=access, code="BENCH-NCM", name="Bench", eu_category="ev",
                                          chemistry="ncm")
        with open(path, "rb") as upload:
            start = time.perf_counter()
            batch = services.import_dry_run(access=access, kind="units", file=upload, filename="units.csv")
            dry_seconds = time.perf_counter() - start
        assert batch.status == "validated", batch.report[:3]
        if not reuse:
            default_storage.delete(staged_name(batch))
        start = time.perf_counter()
        batch = services.import_commit_run(batch_id=batch.pk, actor=access.actor, organisation_id=organisation.pk)
        commit_seconds = time.perf_counter() - start
        assert batch.status == "committed" and BatteryUnit.objects.count() == ROWS
    return dry_seconds, commit_seconds


def bench_import(workdir: Path, organisation: Organisation, access: Access, reparse: Organisation,
                 reparse_access: Access) -> list[Result]:
    path = workdir / "units.csv"
    assert unit_csv(path) == ROWS
    with schema_context(organisation.schema_name):
        copy_seconds = _copy_baseline(path)
    _dry, reparse_seconds = _import(path, reparse, reparse_access, reuse=False)
    dry_seconds, commit_seconds = _import(path, organisation, access, reuse=True)
    ours, copy_rate = ROWS / commit_seconds, ROWS / copy_seconds
    return [Result(f"import {ROWS:,} units from CSV: commit (rows/s) vs COPY", ours, copy_rate, "/s",
                   ratio=ours / copy_rate, target=TARGET_ROWS_PER_S / copy_rate, higher_is_better=True,
                   note=f"commit {commit_seconds:.1f} s ({ours:,.0f} rows/s, target >= {TARGET_ROWS_PER_S:,}), "
                        f"reusing the rows its dry run parsed and staged; every check against the register runs "
                        f"again. Dry run {dry_seconds:.1f} s ({ROWS / dry_seconds:,.0f} rows/s); both together "
                        f"{ROWS / (dry_seconds + commit_seconds):,.0f} rows/s. A commit that parses the file again "
                        f"(rules, code or day changed since the dry run): {reparse_seconds:.1f} s "
                        f"({ROWS / reparse_seconds:,.0f} rows/s). COPY {copy_seconds:.2f} s ({copy_rate:,.0f} rows/s); "
                        f"ratio = ours / COPY, target = 20,000 / COPY")]


def bench_million(workdir: Path, organisation: Organisation, access: Access) -> list[Result]:
    path = workdir / "million.csv"
    million_csv(path)
    size_mb = path.stat().st_size / (1024 * 1024)
    with schema_context(organisation.schema_name):
        with open(path, "rb") as upload, PeakRss() as rss:
            start = time.perf_counter()
            batch = services.import_dry_run(access=access, kind="units", file=upload, filename="million.csv")
            seconds = time.perf_counter() - start
        assert batch.rows_total == MILLION and batch.status == "validated", batch.report[:3]
    return [Result("dry run of 1,000,000 rows: peak RSS growth vs file size", rss.growth, size_mb, "MB",
                   ratio=rss.growth / size_mb, target=1.0, higher_is_better=False,
                   note=f"{seconds:.1f} s ({MILLION / seconds:,.0f} rows/s); streamed: memory does not grow with "
                        f"the file (loading it into Python would take several times its size)")]


def _page_time(client: Client, path: str) -> tuple[float, int]:
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # warm
    samples = []
    for _ in range(PAGE_REPEAT):
        start = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, (path, response.status_code)
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    connection.set_schema_to_public()
    return statistics.median(samples) * 1000, len(captured)


def bench_pages(large: Organisation, small: Organisation) -> list[Result]:
    results = []
    clients = {}
    for organisation in (large, small):
        user, access = _owner(organisation, Role.STAFF)  # owners sign in with a second factor; staff read the same
        client = Client(HTTP_HOST=f"{organisation.slug}.{settings.CELLPASS_DOMAIN}")
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        clients[organisation.slug] = client
    with schema_context(small.schema_name):
        if not BatteryUnit.objects.exists():
            BatteryUnit.objects.bulk_create([BatteryUnit(code=_code("P", i), scheme="gbt34014", level="pack")
                                             for i in range(10)])
    middle = _code("C", ROWS // 2)
    pages = [("unit list page 1", "/register/units/"),
             ("unit list page (keyset, middle)", f"/register/units/?after={middle}"),
             ("unit list search by code", f"/register/units/?q={middle.lower()}"),
             ("units API page 1", "/api/v1/units/"),
             ("units API filtered (cells)", "/api/v1/units/?level=cell")]
    for name, path in pages:
        large_ms, large_queries = _page_time(clients[large.slug], path)
        small_ms, small_queries = _page_time(clients[small.slug], path.replace(middle, _code("P", 5)).replace(
            middle.lower(), _code("P", 5).lower()))
        results.append(Result(f"{name}: 100k vs 10 units (ms)", large_ms, small_ms, "ms",
                              ratio=large_ms / small_ms, target=3.0, higher_is_better=False,
                              note=f"median of {PAGE_REPEAT}; queries {large_queries} (100k) / {small_queries} (10)"))
    return results


def run() -> list[Result]:
    public_organisation_ensure(domain=settings.CELLPASS_DOMAIN)
    large, small, memory, reparse = (_organisation("bench-register"), _organisation("bench-register-small"),
                                     _organisation("bench-register-million"), _organisation("bench-register-reparse"))
    _user, access = _owner(large)
    _user, memory_access = _owner(memory)
    _user, reparse_access = _owner(reparse)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        results = bench_million(workdir, memory, memory_access)  # first, before other runs have grown the heap
        results += bench_import(workdir, large, access, reparse, reparse_access)
    results += bench_pages(large, small)
    connection.set_schema_to_public()
    return results
