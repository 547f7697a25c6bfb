"""Offline check of a dossier PDF: the seal covers every byte, the embedded manifest is present and
agrees with the file, and the evidence files (given one by one, or a folder with --evidence) match
the manifest's SHA-256s. Prints what the manifest records: scope, snapshot digest, checklist results
and custody ledger head. Needs no network. With --registry it also asks this installation's registry
whether the file was issued (and superseded). A file signed after its seal (PAdES, apps/dossiers/signing.py) has
its signature checked: intact, covering the whole file, the only change after the seal, and made with a trusted
certificate: the configured signing certificate (DOSSIER_SIGNING_CERT, DOSSIER_SIGNING_TRUST) or --cert PEM files.

    manage.py verify_dossier dossier.pdf [evidence files...] [--evidence DIR] [--registry] [--cert PEM ...]

Exit status 0 when every check passes, 1 otherwise. An evidence file named on the command line that
the manifest does not list is a failure (it is not part of this dossier); a listed document whose file
was not given is reported as missing, not a failure.
"""
import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.dossiers.manifest import check_evidence, check_pdf


class Command(BaseCommand):
    help = "Check a dossier PDF offline: seal, embedded manifest and, optionally, the evidence files."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("evidence_files", nargs="*", help="evidence files to compare with the manifest")
        parser.add_argument("--evidence", help="folder with the evidence files to compare with the manifest")
        parser.add_argument("--registry", action="store_true", help="also look the file up in the registry")
        parser.add_argument("--cert", action="append", default=[],
                            help="a PEM certificate whose signatures to trust (instead of the configured ones)")

    def _trust(self, options) -> list | None:
        """Certificates to trust: --cert files, else the configured ones; None when there are none."""
        from apps.dossiers import signing

        paths = options["cert"]
        for item in paths:
            if not Path(item).is_file():
                raise CommandError(f"{item} is not a file")
        return signing.trust_roots(paths or None) or None

    def _evidence_files(self, options) -> tuple[dict[str, str], set[str]]:
        """name -> sha256 of the files to compare, and the names given one by one."""
        files: dict[str, str] = {}
        named: set[str] = set()
        if options["evidence"]:
            folder = Path(options["evidence"])
            if not folder.is_dir():
                raise CommandError(f"{folder} is not a folder")
            files.update({p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
                          if p.is_file()})
        for item in options["evidence_files"]:
            path = Path(item)
            if not path.is_file():
                raise CommandError(f"{path} is not a file")
            files[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
            named.add(path.name)
        return files, named

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        files, named = self._evidence_files(options)
        data = path.read_bytes()
        check = check_pdf(data, trust=self._trust(options))
        out = self.stdout
        out.write(f"file      {path.name}  sha256 {hashlib.sha256(data).hexdigest()}")
        out.write(f"seal      {'intact' if check.intact else ('BROKEN' if check.sealed else 'missing')}")
        signature = check.signature
        if signature is None:
            out.write("signature none")
        elif signature.intact:
            trusted = {True: "trusted", False: "NOT TRUSTED", None: "signer not checked"}[signature.trusted]
            when = signature.signed_at.isoformat() if signature.signed_at else "?"
            out.write(f"signature intact, {trusted}: {signature.signer} at {when}")
        else:
            out.write("signature BROKEN")
        manifest = check.manifest
        if manifest is not None:
            self._describe(manifest)
        if files:
            check_evidence(check, files)
            for state, name, digest in check.evidence:
                out.write(f"evidence  {state:9} {name}  {digest}")
                if state == "unknown" and name in named:
                    check.problems.append(("evidence_unknown", f"{name} is not listed in the manifest."))
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

    def _describe(self, manifest: dict) -> None:
        out = self.stdout
        out.write(f"manifest  dossier {manifest['dossier_id']}  issued {manifest['issued_at']}")
        organisation, scope = manifest["organisation"]["name_en"], manifest["scope"]
        out.write(f"          organisation {organisation}  scope {scope['kind']} {scope['label']}")
        out.write(f"          snapshot {manifest['snapshot_digest']}  pages {manifest['page_count']}"
                  f"  evidence {len(manifest['evidence'])}  units {manifest['unit_count']}")
        versions = ", ".join(f"{p['protocol']} v{p['version']}" for p in manifest.get("protocol_versions", []))
        out.write(f"          protocols {versions or '-'}")
        checklist = manifest.get("checklist") or {}
        for result in checklist.get("results", []):
            out.write(f"checklist {result['status']:15} {result['protocol']} {result['code']}")
        custody = manifest.get("custody") or {}
        if custody.get("available"):
            state = "verified" if custody.get("verified") else "NOT VERIFIED when issued"
            out.write(f"custody   ledger head {custody['ledger_head']}  entries {custody['entries']}  {state}")
        else:
            out.write("custody   no custody transfer in scope")
