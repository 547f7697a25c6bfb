"""Uploading a 1 GB evidence file through the real upload path: Django's WSGI handler, middleware,
API-key authentication, multipart parsing with the vault's streaming/hashing upload handler, the
inspection, storage (a rename) and the database rows.

- Memory: peak growth of the process's resident set (sampled every 5 ms from /proc) while the upload
  runs, against the 64 MB budget; the request body is streamed to the handler from disk, never built
  in memory.
- Throughput: MB/s of the whole upload, as a ratio to hashlib SHA-256 of the same file in the same run
  (every byte must at least be hashed once), and, for context, to copying the file once with fsync
  (every byte must also be written once; the upload fsyncs before recording the file).
"""
import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import override_settings

from apps.accounts.roles import Role
from apps.accounts.services import apikey_create, membership_add, user_create
from apps.activity.services import Actor
from apps.tenants.models import Organisation
from apps.tenants.services import organisation_create, public_organisation_ensure
from benchmarks.common import Result

SIZE = int(os.environ.get("BENCH_EVIDENCE_BYTES", 1024 ** 3))
MEMORY_BUDGET_MB = 64
CHUNK = 1024 * 1024


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class RssSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.baseline = _rss_bytes()
        self.peak = self.baseline
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, _rss_bytes())
            time.sleep(0.005)

    def stop(self) -> int:
        self._done.set()
        self.join()
        self.peak = max(self.peak, _rss_bytes())
        return self.peak - self.baseline


def _write_pdf(path: Path, size: int) -> None:
    """A valid PDF of `size` bytes: one page and one big (unreferenced) binary stream, xref at the end."""
    header = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    objects = [b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
               b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n",
               b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n"]
    offsets, position = [], len(header)
    with open(path, "wb") as fh:
        fh.write(header)
        for obj in objects:
            offsets.append(position)
            fh.write(obj)
            position += len(obj)
        tail_room = 400
        payload = max(size - position - tail_room, 0)
        stream_head = f"4 0 obj\n<< /Length {payload} >>\nstream\n".encode()
        offsets.append(position)
        fh.write(stream_head)
        block = os.urandom(CHUNK)
        remaining = payload - len(stream_head)
        while remaining > 0:
            fh.write(block[:min(CHUNK, remaining)])
            remaining -= CHUNK
        fh.write(b"\nendstream\nendobj\n")
        xref_at = fh.tell()
        xref = [b"xref\n0 5\n0000000000 65535 f \n"] + [f"{o:010d} 00000 n \n".encode() for o in offsets]
        fh.write(b"".join(xref) + f"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode())


class MultipartBody:
    """A file-like multipart/form-data body that reads the file from disk as it is consumed."""

    def __init__(self, path: Path, fields: dict[str, str], filename: str) -> None:
        self.boundary = "----cellpass-bench-" + uuid.uuid4().hex
        head = b"".join(f'--{self.boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                        for k, v in fields.items())
        head += (f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 "Content-Type: application/pdf\r\n\r\n").encode()
        self.parts = [head, None, f"\r\n--{self.boundary}--\r\n".encode()]
        self.path = path
        self.length = len(head) + path.stat().st_size + len(self.parts[2])
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._stage = 0
        self._buffer = b""

    def read(self, n: int = -1) -> bytes:
        out = []
        wanted = n if n >= 0 else self.length
        while wanted > 0 and self._stage < 3:
            if self._stage == 1:
                data = self._file.read(min(wanted, CHUNK * 4))
                if not data:
                    self._stage = 2
                    continue
            else:
                if not self._buffer:
                    self._buffer = self.parts[self._stage]
                data, self._buffer = self._buffer[:wanted], self._buffer[wanted:]
                if not self._buffer:
                    self._stage += 1
            out.append(data)
            wanted -= len(data)
        return b"".join(out)

    def readline(self, size: int = -1) -> bytes:  # required by Django's LimitedStream, unused by the parser
        line = []
        while size < 0 or len(line) < size:
            byte = self.read(1)
            line.append(byte)
            if not byte or byte == b"\n":
                break
        return b"".join(line)

    def close(self) -> None:
        self._file.close()


def _setup() -> tuple[str, Organisation]:
    public_organisation_ensure(domain=settings.CELLPASS_DOMAIN)
    organisation = Organisation.objects.filter(slug="bench-vault").first() or organisation_create(
        slug="bench-vault", name_en="Bench Vault", kind="exporter", country="CN")
    connection.set_schema_to_public()
    owner = user_create(email=f"bench-{uuid.uuid4().hex[:8]}@bench.test", password=None)
    membership = membership_add(organisation=organisation, user=owner, role=Role.OWNER, actor=Actor.system("bench"))
    from apps.accounts.access import Access

    access = Access(organisation_id=organisation.pk, role=Role.OWNER, user_id=owner.pk, label=owner.email,
                    membership_id=membership.pk)
    _key, plaintext = apikey_create(access=access, organisation=organisation, name="bench", role=Role.STAFF,
                                    creator=owner)
    connection.set_schema_to_public()
    return plaintext, organisation


def _upload(handler: WSGIHandler, body: MultipartBody, key: str, organisation: Organisation) -> tuple[int, bytes]:
    host = f"{organisation.slug}.{settings.CELLPASS_DOMAIN}"
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/evidence/", "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": host, "SERVER_PORT": "80", "HTTP_HOST": host, "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": f"multipart/form-data; boundary={body.boundary}", "CONTENT_LENGTH": str(body.length),
        "HTTP_AUTHORIZATION": f"Api-Key {key}", "wsgi.input": body, "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": False,
        "wsgi.run_once": False, "REMOTE_ADDR": "127.0.0.1",
    }
    status: dict = {}

    def start_response(code, headers, exc_info=None):
        status["code"] = int(code.split()[0])

    response = handler(environ, start_response)
    content = b"".join(response)
    response.close()
    return status["code"], content


def run() -> list[Result]:
    key, organisation = _setup()
    work = Path(tempfile.mkdtemp(prefix="bench-evidence-"))
    storage_root = work / "private"
    try:
        source = work / "manifest-1GB.pdf"
        _write_pdf(source, SIZE)
        size_mb = source.stat().st_size / 1024 ** 2

        started = time.perf_counter()
        digest = hashlib.sha256()
        with open(source, "rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        hash_seconds = time.perf_counter() - started

        started = time.perf_counter()  # the disk's share: read + write + fsync of the same bytes
        with open(source, "rb") as src, open(work / "copy.bin", "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
            dst.flush()
            os.fsync(dst.fileno())
        copy_seconds = time.perf_counter() - started
        os.unlink(work / "copy.bin")

        storages = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                     "OPTIONS": {"location": str(storage_root), "base_url": None}}}
        with override_settings(STORAGES=storages, EVIDENCE_UPLOAD_TEMP_DIR=str(work / "incoming"),
                               EVIDENCE_MAX_UPLOAD_BYTES=2 * 1024 ** 3, ALLOWED_HOSTS=["*"]):
            handler = WSGIHandler()
            warm = work / "warm.pdf"
            _write_pdf(warm, 64 * 1024)
            warm_body = MultipartBody(warm, {"doc_type": "other", "title": "warm-up"}, "warm.pdf")
            code, _content = _upload(handler, warm_body, key, organisation)
            warm_body.close()
            assert code == 201, _content[:500]

            body = MultipartBody(source, {"doc_type": "transport_manifest", "title": "1 GB manifest",
                                          "key_fields": '{"document_number": "CMR-1", "carrier": "Bench", '
                                                        '"net_mass_kg": "1"}'}, "manifest-1GB.pdf")
            sampler = RssSampler()
            sampler.start()
            started = time.perf_counter()
            if os.environ.get("BENCH_PROFILE"):
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                code, content = profiler.runcall(_upload, handler, body, key, organisation)
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
            else:
                code, content = _upload(handler, body, key, organisation)
            upload_seconds = time.perf_counter() - started
            growth = sampler.stop()
            body.close()
        connection.set_schema_to_public()
        if code != 201:
            raise RuntimeError(f"upload failed: HTTP {code} {content[:500]!r}")

        recorded = json.loads(content)["current_revision"]["sha256"]
        if recorded != digest.hexdigest():
            raise RuntimeError("the recorded SHA-256 differs from hashlib's")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ours_mbs, hash_mbs, copy_mbs = size_mb / upload_seconds, size_mb / hash_seconds, size_mb / copy_seconds
    growth_mb = growth / 1024 ** 2
    return [
        Result(f"evidence upload {size_mb:.0f} MB: peak RSS growth", growth_mb, MEMORY_BUDGET_MB, "MB",
               ratio=growth_mb / MEMORY_BUDGET_MB, target=1.0, higher_is_better=False,
               note=f"RSS sampled every 5 ms; baseline = the {MEMORY_BUDGET_MB} MB budget; ratio <= 1 passes"),
        Result(f"evidence upload {size_mb:.0f} MB: MB/s vs hashlib SHA-256", ours_mbs, hash_mbs, "MB/s",
               ratio=ours_mbs / hash_mbs, target=0.1, higher_is_better=True,
               note=f"upload {upload_seconds:.1f} s (WSGI + multipart + hash + checks + store + rows), "
                    f"sha256 alone {hash_seconds:.1f} s; the SHA-256 recorded equals hashlib's"),
        Result(f"evidence upload {size_mb:.0f} MB: MB/s vs copy+fsync", ours_mbs,
               copy_mbs, "MB/s", ratio=ours_mbs / copy_mbs, target=0.5, higher_is_better=True,
               note="context: on this disk the upload is bound by writing the bytes once, not by hashing"),
    ]
