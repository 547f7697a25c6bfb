"""What `make run`, `make test` and `make bench` do once the virtualenv is installed.

    run.py serve   services up, migrate, seed the demo, web + Celery worker + beat; Ctrl-C stops all
    run.py test    services up, Chromium present, translations compiled, pytest (args passed on)
    run.py bench   services up, benchmarks/run.py

Services this command started are stopped when it ends; ones already running are left alone.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import services  # noqa: E402
import sysdeps  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def manage(*args: str, env: dict | None = None) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True, env=env)


def django_env(settings: str) -> dict:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=settings, PYTHONUNBUFFERED="1")
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env


def compile_translations(env: dict) -> None:
    subprocess.run([PY, "manage.py", "compilemessages", "--ignore", ".venv", "-v", "0"], cwd=ROOT, check=True,
                   env=env)


def with_services(body) -> int:
    started = services.up()
    try:
        return body()
    finally:
        services.down(started)


def serve() -> int:
    env = django_env("config.settings.dev")
    port = os.environ.get("PORT", "8000")
    env["CELLPASS_PORT"] = port

    def body() -> int:
        compile_translations(env)
        manage("migrate", "--noinput", "-v", "0", env=env)
        manage("dossier_signing_devkey", env=env)
        manage("seed_demo", env=env)
        children = [
            subprocess.Popen([PY, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], cwd=ROOT, env=env),
            subprocess.Popen([PY, "-m", "celery", "-A", "config", "worker", "-Q", "celery,pdf", "-c", "2",
                              "--loglevel", "INFO", "-n", "cellpass@%h"], cwd=ROOT, env=env),
            subprocess.Popen([PY, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
                              "-s", str(services.STATE_DIR / "celerybeat-schedule")], cwd=ROOT, env=env),
        ]
        print(f"\nCellpass is running: http://localhost:{port}/  (Ctrl-C stops everything)\n", flush=True)
        stop = {"now": False}

        def on_signal(signum, frame):
            stop["now"] = True

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        code = 0
        try:
            while not stop["now"]:
                for child in children:
                    if child.poll() is not None:
                        print(f"a process exited ({child.args[2]}), stopping the others", flush=True)
                        stop["now"], code = True, 1
                time.sleep(0.5)
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
            print("stopped.", flush=True)
        return code

    return with_services(body)


def test(args: list[str]) -> int:
    env = django_env("config.settings.test")
    env["CELLPASS_CHROMIUM"] = os.environ.get("CELLPASS_CHROMIUM") or sysdeps.chromium()
    extra_libs = sysdeps.local_library_path()
    if extra_libs:
        env["CELLPASS_CHROMIUM_LD_LIBRARY_PATH"] = extra_libs

    def body() -> int:
        compile_translations(env)
        return subprocess.run([PY, "-m", "pytest", *args], cwd=ROOT, env=env).returncode

    return with_services(body)


def bench(args: list[str]) -> int:
    env = django_env("config.settings.test")

    def body() -> int:
        compile_translations(env)
        return subprocess.run([PY, "benchmarks/run.py", *args], cwd=ROOT, env=env).returncode

    return with_services(body)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "serve":
        return serve()
    if command == "test":
        return test(argv[2:])
    if command == "bench":
        return bench(argv[2:])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
