"""System packages the project needs beyond PyPI, installed by the project itself.

- Chromium for the browser tests (Playwright drives Debian's `chromium`; `playwright install`
  cannot download browsers here).

As root the Debian packages are installed with apt-get. As an ordinary user, they are downloaded
with apt-get (private lists and cache, no root needed) and unpacked under `.services/sysroot`,
with the libraries they bring on LD_LIBRARY_PATH.

Usage: python config/devenv/sysdeps.py chromium   (prints the browser's path)
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SYSROOT = ROOT / ".services" / "sysroot"
APT_DIR = ROOT / ".services" / "apt"
ARCH_LIBS = ("usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu", "usr/lib/aarch64-linux-gnu",
             "lib/aarch64-linux-gnu", "usr/lib/chromium")


def log(message: str) -> None:
    print(f"[sysdeps] {message}", flush=True)


def _apt_options() -> list[str]:
    lists = APT_DIR / "lists"
    cache = APT_DIR / "cache"
    (lists / "partial").mkdir(parents=True, exist_ok=True)
    (cache / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    return ["-o", f"Dir::State::Lists={lists}", "-o", f"Dir::Cache={cache}", "-o", "Debug::NoLocking=1"]


def local_library_path() -> str:
    return ":".join(str(SYSROOT / sub) for sub in ARCH_LIBS if (SYSROOT / sub).exists())


def _installed_browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    local = SYSROOT / "usr" / "lib" / "chromium" / "chromium"
    return str(local) if local.exists() else None


def _install_as_root(packages: list[str]) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log(f"apt-get install {' '.join(packages)}")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], check=True, env=env)


def _install_locally(packages: list[str]) -> None:
    """Download the packages and their missing dependencies, unpack them under SYSROOT."""
    options = _apt_options()
    log("downloading package lists (private to this checkout)")
    subprocess.run(["apt-get", *options, "update", "-qq"], check=True)
    simulated = subprocess.run(["apt-get", *options, "-s", "install", "--no-install-recommends", *packages],
                               check=True, capture_output=True, text=True).stdout
    needed = [line.split()[1] for line in simulated.splitlines() if line.startswith("Inst ")]
    debs = APT_DIR / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    log(f"downloading {len(needed)} packages into {debs}")
    subprocess.run(["apt-get", *options, "download", *needed], check=True, cwd=debs)
    SYSROOT.mkdir(parents=True, exist_ok=True)
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(SYSROOT)], check=True)


def ensure(packages: list[str]) -> None:
    if os.geteuid() == 0:
        _install_as_root(packages)
    elif shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        env_cmd = ["sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive"]
        subprocess.run([*env_cmd, "apt-get", "update", "-qq"], check=True)
        subprocess.run([*env_cmd, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
                       check=True)
    else:
        _install_locally(packages)


def chromium() -> str:
    browser = _installed_browser()
    if browser is None:
        if not shutil.which("apt-get"):
            raise RuntimeError("Chromium is needed for the browser tests: install it, "
                               "or set CELLPASS_CHROMIUM to its path.")
        ensure(["chromium"])
        browser = _installed_browser()
    if browser is None:
        raise RuntimeError("Chromium could not be installed.")
    return browser


def main(argv: list[str]) -> int:
    if len(argv) > 1 and argv[1] == "chromium":
        print(chromium())
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
