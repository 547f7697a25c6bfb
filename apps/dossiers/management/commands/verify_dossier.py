"""Offline check of a dossier PDF: the seal covers every byte, the embedded manifest is present and
agrees with the file, and (with --evidence DIR) the evidence files match the manifest's SHA-256s.
Needs no network. With --registry it also asks this installation's registry whether the file was
issued (and superseded).

    manage.py verify_dossier dossier.pdf [--evidence DIR] [--registry]

Exit status 0 when every check passes, 1 otherwise.
"""
import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.dossiers.manifest import check_evidence, check_pdf


class Command(BaseCommand):
    help = "Check a dossier PDF offline: seal, embedded manifest and, optionally, the evidence files."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--evidence", help="folder with the evidence files to compare with the manifest")
        parser.add_argument("--registry", action="store_true", help="also look the file up in the registry")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        data = path.read_bytes()
        check = check_pdf(data)
        out = self.stdout
        out.write(f"file      {path.name}  sha256 {hashlib.sha256(data).hexdigest()}")
        out.write(f"seal      {'intact' if check.intact else ('BROKEN' if check.sealed else 'missing')}")
        manifest = check.manifest
        if manifest is not None:
            out.write(f"manifest  dossier {manifest['dossier_id']}  issued {manifest['issued_at']}")
            organisation, scope = manifest["organisation"]["name_en"], manifest["scope"]["label"]
            out.write(f"          organisation {organisation}  scope {scope}")
            out.write(f"          snapshot {manifest['snapshot_digest']}  pages {manifest['page_count']}"
                      f"  evidence {len(manifest['evidence'])}  units {manifest['unit_count']}")
        if options["evidence"]:
            folder = Path(options["evidence"])
            if not folder.is_dir():
                raise CommandError(f"{folder} is not a folder")
            files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
                     if p.is_file()}
            check_evidence(check, files)
            for state, name, digest in check.evidence:
                out.write(f"evidence  {state:9} {name}  {digest}")
        if options["registry"]:
            from apps.dossiers.verification import verify_hash

            verdict = verify_hash(hashlib.sha256(data).hexdigest())
            out.write(f"registry  {verdict.code}")
            if not verdict.accepted:
                check.problems.append(("registry", "The registry does not list this file as issued."))
        for code, text in check.problems:
            self.stderr.write(f"FAILED    {code}: {text}")
        if not check.ok:
            raise SystemExit(1)
        out.write(self.style.SUCCESS("OK        the file is intact and agrees with its manifest"))
