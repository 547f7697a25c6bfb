"""Create .venv with a Python >= 3.11 and install the locked dependencies (uv, from requirements.lock).

Runs under any python3 (keep it free of newer syntax): it looks for python3.13/3.12/3.11/python3
on PATH (and pyenv's versions) and uses the first that is recent enough.
"""
import glob
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, ".venv")
UV_VERSION = "0.13.9"


def version_of(python):
    try:
        # stderr muted: a pyenv shim for a version that is not installed only says so, and we try the next
        out = subprocess.check_output([python, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
                                      stderr=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        return (0, 0)
    major, minor = out.decode().split()
    return (int(major), int(minor))


def find_python():
    candidates = [os.environ.get("PYTHON", "")]
    for name in ("python3.13", "python3.12", "python3.11", "python3"):
        found = shutil.which(name)
        if found:
            candidates.append(found)
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[1-3]*/bin/python3")), reverse=True)
    for candidate in candidates:
        if candidate and version_of(candidate) >= (3, 11):
            return candidate
    sys.exit("Cellpass needs Python >= 3.11; none found on PATH.")


def main():
    venv_python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(venv_python) or version_of(venv_python) < (3, 11):
        python = find_python()
        print("[bootstrap] creating .venv with " + python, flush=True)
        subprocess.check_call([python, "-m", "venv", "--clear", VENV])
    uv = os.path.join(VENV, "bin", "uv")
    if not os.path.exists(uv):
        subprocess.check_call([venv_python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                               "uv==" + UV_VERSION])
    print("[bootstrap] installing locked dependencies", flush=True)
    subprocess.check_call([uv, "pip", "sync", "-q", "--python", venv_python, os.path.join(ROOT, "requirements.lock")])


if __name__ == "__main__":
    main()
