"""`make bench`: every benchmark, printed as a ratio against a baseline measured in the same run.

Runs against a throw-away database (`<name>_bench`) on the same PostgreSQL and Redis as the tests,
so development data is never touched. Each `benchmarks/bench_*.py` module exposes `run() -> list[Result]`.

    python benchmarks/run.py [name-substring ...]
"""
import importlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from benchmarks.common import Result, render  # noqa: E402


def main(argv: list[str]) -> int:
    wanted = argv[1:]
    modules = sorted(p.stem for p in (ROOT / "benchmarks").glob("bench_*.py"))
    if wanted:
        modules = [m for m in modules if any(w in m for w in wanted)]
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = settings.DATABASES["default"]["NAME"] + "_bench"
    started = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    results: list[Result] = []
    try:
        for name in modules:
            module = importlib.import_module(f"benchmarks.{name}")
            print(f"[bench] {name} ...", flush=True)
            results.extend(module.run())
            connection.set_schema_to_public()
    finally:
        connection.creation.destroy_test_db(settings.DATABASES["default"]["NAME"].removesuffix("_bench"),
                                            verbosity=0)
    print(render(results))
    print(f"\n{len(results)} benchmarks in {time.perf_counter() - started:.0f} s on {os.cpu_count()} cores")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
