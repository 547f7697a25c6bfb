"""Development check (not part of the test suite): validate Cellpass's passport export against the
official Battery Pass v1.2 JSON Schemas, which are CC-BY-4.0 reference data kept outside the
repository.

    .venv/bin/python -m apps.exports.devcheck /path/to/batterypass [--organisation sinoev]

Reads the demo organisation's battery passports (run `manage.py seed_demo` first) and prints, per
unit and aspect, whether the authorities-tier document (everything the passport holds) validates
with a draft-04 validator; then the model-level export and the public tier of the first unit,
which are expected to lack the item-level / restricted properties the schemas require.
Exit status 1 when any exported value breaks the schema (a wrong type, enumeration, pattern or
range): a missing property is expected where the data is missing, a wrong value never is.
"""
import argparse
import json
import os
import sys
from pathlib import Path

SCHEMA_FILES = {
    "GeneralProductInformation": "1.2.0_GeneralProductInformation-schema.json",
    "CarbonFootprintForBatteries": "1.2.0_CarbonFootprintForBatteries-schema.json",
    "Circularity": "1.2.0_Circularity-schema.json",
    "MaterialComposition": "1.2.0_MaterialComposition-schema.json",
    "PerformanceAndDurability": "1.2.1_PerformanceAndDurability-schema.json",
    "Labeling": "1.2.0_Labeling-schema.json",
    "SupplyChainDueDiligence": "1.2.0_SupplyChainDueDiligence-schema.json",
}


def _validators(folder: Path) -> dict:
    from jsonschema import Draft4Validator

    validators = {}
    for aspect, name in SCHEMA_FILES.items():
        raw = (folder / name).read_bytes()
        text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8-sig")
        validators[aspect] = Draft4Validator(json.loads(text), format_checker=Draft4Validator.FORMAT_CHECKER)
    return validators


def _errors(validator, document) -> list[str]:
    return [f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
            for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))]


def _wrong_values(validator, document) -> int:
    return sum(1 for error in validator.iter_errors(document) if error.validator != "required")


WRONG = []


def _report(label: str, aspects: dict, validators: dict, out) -> bool:
    ok = True
    out.write(f"\n{label}\n")
    for aspect, validator in validators.items():
        errors = _errors(validator, aspects[aspect])
        if _wrong_values(validator, aspects[aspect]):
            WRONG.append(f"{label}: {aspect}")
        ok = ok and not errors
        out.write(f"  {'VALID  ' if not errors else 'INVALID'} {aspect}\n")
        for line in errors[:12]:
            out.write(f"           - {line}\n")
        if len(errors) > 12:
            out.write(f"           … {len(errors) - 12} more\n")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder with the Battery Pass *-schema.json files")
    parser.add_argument("--organisation", default="sinoev")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    from django_tenants.utils import schema_context

    from apps.exports import selectors
    from apps.exports.passport import Tier
    from apps.tenants.models import Organisation

    out = sys.stdout
    validators = _validators(args.folder)
    for aspect, name in SCHEMA_FILES.items():
        sample = args.folder / name.replace("-schema", "-payload")
        if sample.exists():
            errors = _errors(validators[aspect], json.loads(sample.read_text(encoding="utf-8")))
            out.write(f"Official sample payload {aspect}: {'valid' if not errors else '; '.join(errors)}\n")
    organisation = Organisation.objects.get(slug=args.organisation)
    failures = 0
    with schema_context(organisation.schema_name):
        units = [unit for unit in selectors.passport_unit_list() if unit.current_passports]
        if not units:
            out.write("No unit with a passport: run `manage.py seed_demo` first.\n")
            return 1
        for unit in units:
            export = selectors.passport_export_unit(unit=unit, tier=Tier.AUTHORITIES)
            if not _report(f"Unit {unit.code} (passport {unit.current_passports[0].identifier}, "
                           f"v{unit.current_passports[0].version}, authorities tier)",
                           export.aspects, validators, out):
                failures += 1
        model = units[0].model
        _report(f"Model {model.code} (model-level export; item-level properties are exported per unit)",
                selectors.passport_export_model(model=model, tier=Tier.AUTHORITIES).aspects, validators, out)
        _report(f"Unit {units[0].code}, public tier (restricted properties withheld by design)",
                selectors.passport_export_unit(unit=units[0], tier=Tier.PUBLIC).aspects, validators, out)
    out.write(f"\n{len(units) - failures} of {len(units)} unit passports validate in all seven aspects; "
              f"the others lack data (listed as missing), never hold a wrong value.\n" if not WRONG else
              f"\nWrong values (type, enumeration, pattern or range) in: {', '.join(WRONG)}\n")
    return 1 if WRONG or failures == len(units) else 0


if __name__ == "__main__":
    raise SystemExit(main())
