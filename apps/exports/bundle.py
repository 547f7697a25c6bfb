"""Passport export files (pure): one JSON document per aspect plus the provenance, as one JSON
object or as a zip, and the unit's QR code."""
import io
import json
import zipfile
from typing import Any

import segno

from .passport import ASPECTS, PassportExport


def passport_json(export: PassportExport) -> dict[str, Any]:
    return {"aspects": {aspect: export.aspects[aspect] for aspect in ASPECTS},
            "provenance": export.provenance_document()}


def _dump(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


def passport_zip(export: PassportExport) -> bytes:
    """`<Aspect>.json` for each of the seven aspects and `provenance.json`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for aspect in ASPECTS:
            archive.writestr(f"{aspect}.json", _dump(export.aspects[aspect]))
        archive.writestr("provenance.json", _dump(export.provenance_document()))
    return buffer.getvalue()


def qr_svg(url: str) -> str:
    """An inline SVG QR code (ISO/IEC 18004, error correction M) for a passport link."""
    return segno.make(url, error="m").svg_inline(scale=4, border=2, title=url)
