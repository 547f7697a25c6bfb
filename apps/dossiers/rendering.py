"""Rendering a dossier snapshot to PDF/A-3 with WeasyPrint (never from live querysets).

Why it is split in parts: WeasyPrint's layout cost and memory grow with the number of boxes, and
tables are the worst case. The front matter (cover, contents, checklist, evidence, custody, material
flow, recycled content, findings, sign-off, and the first page of the unit annex) is one small HTML
document. The unit list is annex pages of fixed height: each page is one `<pre>` block of
`ROWS_PER_PAGE` lines whose columns align because the font's `hwid` feature makes Latin half-width
(exactly half a CJK em), so there is no table and one line box per unit. Pagination is thus known in
advance: part *i* of the annex starts on a page number computed from the plan, so parts render
independently (in parallel on several Celery workers) and are merged with pypdf, which keeps the front
document's PDF/A identification, output intent, attachments and outline, then adds one bookmark per
part. Finally the file is sealed (see manifest.py) and, with a signing key configured, signed (signing.py).

The URL fetcher serves only data: URIs and files under the project's static/ directory.
"""
import math
import mimetypes
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import override
from weasyprint import URLFetcher

from . import figures, glyphs, massflow
from .labels import LABELS
from .manifest import MANIFEST_NAME, build_manifest, manifest_bytes, seal
from .rendering_choices import choice_label
from .snapshot import MaterialFlow, Snapshot

MODES = ("en", "zh-hans", "bilingual")
ROWS_PER_PAGE = 56
UNIT_COLUMNS = (  # (label key, snapshot field, width in half-width cells)
    ("unit_no", None, 7),
    ("unit_code", "code", 26),
    ("unit_level", "level", 8),
    ("unit_status", "status", 14),
    ("unit_model", "model_code", 16),
    ("unit_made", "manufactured_on", 10),
    ("unit_mass", "mass_kg", 10),
    ("unit_original", "original_code", 26),
)
Progress = Callable[[float], None]


def static_root() -> Path:
    return (Path(settings.BASE_DIR) / "static").resolve()


# --- URL fetcher --------------------------------------------------------------------------

class RefusedURLError(ValueError):
    pass


class DossierURLFetcher(URLFetcher):
    """Serves data: URIs and the project's own static files; refuses everything else (no network,
    no local file outside static/). Every refusal is kept in `refused` (tests and logs read it)."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None):
        from weasyprint.urls import URLFetcherResponse

        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            parsed = urlparse(url)
            path = Path(unquote(parsed.path)).resolve()
            root = static_root()
            if not parsed.netloc and path.is_relative_to(root) and path.is_file():
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": mime})
        self.refused.append(url)
        raise RefusedURLError(f"refused to fetch {url!r}: dossiers use only data: URIs and static files")


# --- preparation --------------------------------------------------------------------------

@dataclass(frozen=True)
class Prepared:
    """The snapshot as rendered: characters the font lacks replaced visibly."""

    snapshot: Snapshot
    digest: str
    replaced: tuple[str, ...]


def prepare(snapshot: Snapshot, digest: str) -> Prepared:
    safe, found = glyphs.make_snapshot_safe(snapshot)
    return Prepared(snapshot=safe, digest=digest, replaced=tuple(sorted(found)))


@dataclass(frozen=True)
class Plan:
    front_pages: int
    units: int
    rows_per_page: int = ROWS_PER_PAGE
    part_pages: int = 40
    parts: tuple[tuple[int, int], ...] = field(default=())

    @property
    def unit_pages(self) -> int:
        return math.ceil(self.units / self.rows_per_page)

    @property
    def total_pages(self) -> int:
        return self.front_pages + self.unit_pages

    def first_page(self, part: int) -> int:
        return self.front_pages + 1 + self.parts[part][0] // self.rows_per_page


def make_plan(*, front_pages: int, units: int, part_pages: int | None = None) -> Plan:
    part_pages = part_pages or settings.DOSSIER_PART_PAGES
    step = ROWS_PER_PAGE * part_pages
    parts = tuple((start, min(units, start + step)) for start in range(0, units, step))
    return Plan(front_pages=front_pages, units=units, part_pages=part_pages, parts=parts)


# --- HTML ---------------------------------------------------------------------------------

def css_string(text: str) -> str:
    """A CSS string literal that can hold any text (every non-alphanumeric character hex-escaped)."""
    return '"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):06x}" for c in text) + '"'


def _both(key: str, **params: Any) -> tuple[str, str]:
    with override("en"):
        en = str(LABELS[key]) % params if params else str(LABELS[key])
    with override("zh-hans"):
        zh = str(LABELS[key]) % params if params else str(LABELS[key])
    return en, zh


def label(key: str, mode: str, **params: Any) -> str:
    en, zh = _both(key, **params)
    if mode == "en":
        return en
    if mode == "zh-hans":
        return zh
    return zh if zh == en else f"{zh} {en}"


def _org_name(prepared: Prepared, mode: str) -> str:
    cover = prepared.snapshot.cover
    if mode == "en":
        return cover.organisation_name_en
    if mode == "zh-hans":
        return cover.organisation_name_zh or cover.organisation_name_en
    return " ".join(n for n in (cover.organisation_name_zh, cover.organisation_name_en) if n)


def running_title(prepared: Prepared, mode: str) -> str:
    return f"{label('running_title', mode)} · {_org_name(prepared, mode)} · {prepared.snapshot.cover.scope.label}"


def font_faces() -> str:
    root = static_root() / "fonts"
    return (f"@font-face {{ font-family: 'Cellpass Sans'; font-weight: normal; "
            f"src: url({(root / 'NotoSansSC-Regular.subset.otf').as_uri()}); }}\n"
            f"@font-face {{ font-family: 'Cellpass Sans'; font-weight: bold; "
            f"src: url({(root / 'NotoSansSC-Bold.subset.otf').as_uri()}); }}\n")


def page_css(prepared: Prepared, mode: str, total_pages: int, *, first_page: int = 1) -> str:
    title = css_string(running_title(prepared, mode))
    page_word = css_string(label("page", mode) + " ")
    of_word = css_string(f" / {total_pages}")
    digest = css_string(f"SHA-256 {prepared.digest[:16]}…")
    reset = f"@page :first {{ counter-reset: page {first_page} }}\n" if first_page != 1 else ""
    return (font_faces() + reset +
            f"@page {{ @top-left {{ content: {title}; }} "
            f"@bottom-left {{ content: {digest}; }} "
            f"@bottom-right {{ content: {page_word} counter(page) {of_word}; }} }}\n")


def _lots_context(lots, mode: str) -> list[dict[str, Any]]:
    rows = []
    for lot in lots:
        rows.append({"code": lot.code, "kind": lot.kind, "mass_kg": lot.mass_kg, "origin": lot.origin,
                     "sources": ", ".join(lot.sources), "custody_model": lot.custody_model,
                     "recorded_by": lot.recorded_by,
                     "elements": ", ".join(f"{s} {p} %" for s, p in lot.elements)})
    return rows


def _evaluation_groups(snapshot: Snapshot) -> list[dict[str, Any]]:
    """Requirement results under the evaluation they belong to, with the evidence they used named by
    title and revision when the evidence index holds it."""
    evidence = {e.revision_id: e for e in snapshot.evidence}
    by_evaluation: dict[str, list[dict[str, Any]]] = {}
    for result in snapshot.checklist.results:
        used = [(f"{evidence[i].title} · r{evidence[i].revision}" if i in evidence else i) for i in result.evidence_ids]
        by_evaluation.setdefault(result.evaluation_id, []).append({"r": result, "evidence": used})
    groups = [{"e": e, "results": by_evaluation.pop(e.evaluation_id, [])} for e in snapshot.checklist.evaluations]
    if by_evaluation:  # version-1 snapshots: results without evaluations
        groups.append({"e": None, "results": [row for rows in by_evaluation.values() for row in rows]})
    return groups


def _ledger_rows(snapshot: Snapshot) -> list[dict[str, Any]]:
    """Ledger entries, each named by its shipment when the dossier holds several transfers."""
    several = len(snapshot.custody.transfers) > 1
    shipments = {t.transfer_id: t.shipment for t in snapshot.custody.transfers}
    return [{"entry": e, "shipment": shipments.get(e.transfer_id, "") if several else ""}
            for e in snapshot.custody.entries]


def _recycled_context(snapshot: Snapshot) -> dict[str, Any]:
    recycled = snapshot.recycled
    if not recycled.available:
        return {}
    rows, inputs = massflow.recycled_content(MaterialFlow(recovered=recycled.lots))
    return {"declarations": [{"d": d, "rows": massflow.declared_rows(d)} for d in recycled.declarations],
            "lots": _lots_context(recycled.lots, "en"), "lot_rows": rows, "lot_inputs": inputs}


def front_context(prepared: Prepared, *, mode: str, plan: Plan, verify_url: str) -> dict[str, Any]:
    import segno

    snapshot = prepared.snapshot
    flow = snapshot.material_flow
    titles = tuple(label(k, mode) for k in ("flow_inputs", "flow_black_mass", "flow_recovered"))
    svg = figures.material_flow_svg(flow, titles=titles, more_label=label("flow_more", mode),
                                    empty_label=label("flow_empty", mode))
    recycled_rows, recycled_inputs = massflow.recycled_content(flow)
    status_counts: dict[str, int] = {}
    for unit in snapshot.units:
        status_counts[unit.status] = status_counts.get(unit.status, 0) + 1
    parts = []
    for index, (start, stop) in enumerate(plan.parts):
        parts.append({"label": label("units_part", mode, first=f"{start + 1:,}", last=f"{stop:,}"),
                      "page": plan.first_page(index)})
    return {
        "mode": mode,
        "doc_title": f"{label('dossier', mode)} · {snapshot.cover.scope.label}",
        "lang": "zh-Hans" if mode != "en" else "en",
        "page_css": page_css(prepared, mode, plan.total_pages),
        "s": snapshot,
        "cover": snapshot.cover,
        "digest": prepared.digest,
        "replaced": [glyphs.replacement(c) for c in prepared.replaced],
        "verify_url": verify_url,
        "qr": segno.make(verify_url, error="m").svg_data_uri(scale=3, border=1),
        "flow_svg": figures.svg_data_uri(svg),
        "balance": massflow.mass_balance(flow),
        "element_balance": massflow.element_balance(flow),
        "black_mass": _lots_context(flow.black_mass, mode),
        "recovered": _lots_context(flow.recovered, mode),
        "recycled_rows": recycled_rows,
        "recycled_inputs": recycled_inputs,
        "unit_status_counts": sorted(status_counts.items()),
        "unit_parts": parts,
        "plan": plan,
        "units_summary": label("units_summary", mode, count=f"{plan.units:,}", pages=plan.unit_pages,
                               page=plan.front_pages + 1),
        "evidence_missing": sum(1 for e in snapshot.evidence if not e.file_present),
        "evaluation_groups": _evaluation_groups(snapshot),
        "ledger_rows": _ledger_rows(snapshot),
        "art8": _recycled_context(snapshot),
        "balance_input_received": any(s.received_kg for s in flow.shipments),
    }


def front_html(prepared: Prepared, *, mode: str, plan: Plan, verify_url: str) -> str:
    language = "en" if mode == "en" else "zh-hans"
    with override(language):
        return render_to_string("dossiers/pdf/front.html",
                                front_context(prepared, mode=mode, plan=plan, verify_url=verify_url))


def _width(text: str) -> int:
    return sum(1 if ord(c) < 0x7F or unicodedata.east_asian_width(c) in ("H", "Na") else 2 for c in text)


def _cell(text: str, width: int, right: bool = False) -> str:
    if _width(text) > width:
        out, used = [], 0
        for c in text:
            w = _width(c)
            if used + w > width - 1:
                break
            out.append(c)
            used += w
        text = "".join(out) + "~"
    pad = " " * (width - _width(text))
    return pad + text if right else text + pad


def _unit_value(kind: str | None, value: str, mode: str) -> str:
    if kind in ("level", "status"):
        en, zh = choice_label("level" if kind == "level" else "unit_status", value)
        return en if mode == "en" else zh
    return value


def units_part_html(prepared: Prepared, *, mode: str, plan: Plan, part: int) -> str:
    start, stop = plan.parts[part]
    units = prepared.snapshot.units
    header = "  ".join(_cell(label(key, "en" if mode == "en" else "zh-hans"), width, right=key == "unit_mass")
                       for key, _field, width in UNIT_COLUMNS)
    heading_text = escape(label("sec_units", mode))
    bookmark = css_string(label("units_part", mode, first=f"{start + 1:,}", last=f"{stop:,}"))
    pages = []
    for page_start in range(start, stop, plan.rows_per_page):
        lines = []
        for index in range(page_start, min(stop, page_start + plan.rows_per_page)):
            unit = units[index]
            cells = [_cell(str(index + 1), 7, right=True)]
            for key, name, width in UNIT_COLUMNS[1:]:
                cells.append(_cell(_unit_value(name, getattr(unit, name), mode), width, right=key == "unit_mass"))
            lines.append("  ".join(cells).rstrip())
        pages.append(f'<section class="upage"><div class="uhead">{heading_text}</div>'
                     f'<pre class="ucols">{escape(header)}</pre><pre class="urows">{escape(chr(10).join(lines))}'
                     f"</pre></section>")
    css = page_css(prepared, mode, plan.total_pages, first_page=plan.first_page(part))
    return render_to_string("dossiers/pdf/units.html", {
        "page_css": css, "lang": "zh-Hans" if mode != "en" else "en", "bookmark": bookmark,
        "pages": "".join(pages)})


# --- WeasyPrint -------------------------------------------------------------------------------

def layout(html: str, fetcher: DossierURLFetcher | None = None):
    from weasyprint import HTML

    fetcher = fetcher or DossierURLFetcher()
    return HTML(string=html, base_url=static_root().as_uri() + "/", url_fetcher=fetcher).render()


def write_pdf(document, *, attachments: Iterable[tuple[str, bytes, str, str]] = (),
              created: datetime | None = None) -> bytes:
    """PDF/A-3b bytes of a laid-out document; attachments are (name, data, description, relationship)."""
    from weasyprint import Attachment

    items = [Attachment(string=data, name=name, description=description, relationship=relationship,
                        created=created, modified=created)
             for name, data, description, relationship in attachments]
    return document.write_pdf(pdf_variant="pdf/a-3b", attachments=items or None)


def front_layout(prepared: Prepared, *, mode: str, verify_url: str, part_pages: int | None = None):
    """Lay the front matter out until its page count is stable; returns (document, plan)."""
    units = len(prepared.snapshot.units)
    plan = make_plan(front_pages=1, units=units, part_pages=part_pages)
    for _attempt in range(3):
        document = layout(front_html(prepared, mode=mode, plan=plan, verify_url=verify_url))
        if len(document.pages) == plan.front_pages:
            return document, plan
        plan = make_plan(front_pages=len(document.pages), units=units, part_pages=part_pages)
    raise RuntimeError("the front matter's page count does not settle")


def render_part(prepared: Prepared, *, mode: str, plan: Plan, part: int) -> bytes:
    document = layout(units_part_html(prepared, mode=mode, plan=plan, part=part))
    expected = math.ceil((plan.parts[part][1] - plan.parts[part][0]) / plan.rows_per_page)
    if len(document.pages) != expected:
        raise RuntimeError(f"unit part {part} has {len(document.pages)} pages, {expected} expected")
    return write_pdf(document)


def _rebuild_outline(writer, reader, items, parent=None) -> dict[str, Any]:
    """Copy the front document's outline into `writer` (pypdf's clone keeps it as plain dictionaries,
    which cannot take children); returns the new items by title."""
    created: dict[str, Any] = {}
    previous = None
    for item in items:
        if isinstance(item, list):
            if previous is not None:
                created.update(_rebuild_outline(writer, reader, item, parent=previous))
            continue
        title = str(item.title).strip()
        previous = writer.add_outline_item(title=title, page_number=reader.get_destination_page_number(item),
                                           parent=parent)
        created.setdefault(title, previous)
    return created


def assemble(front_pdf: bytes, parts: list[bytes | Path], *, plan: Plan, mode: str, annex_title: str) -> bytes:
    """Front document + unit parts -> one sealed PDF/A-3b file with bookmarks for every part."""
    from pypdf import PdfReader, PdfWriter

    front = PdfReader(BytesIO(front_pdf))
    writer = PdfWriter(clone_from=front)
    info = dict(front.metadata or {})
    from pypdf.generic import NameObject

    if "/Outlines" in writer._root_object:  # noqa: SLF001
        del writer._root_object[NameObject("/Outlines")]  # noqa: SLF001
    annex = _rebuild_outline(writer, front, front.outline).get(annex_title)
    for index, part in enumerate(parts):
        reader = PdfReader(BytesIO(part) if isinstance(part, bytes) else str(part))
        first = len(writer.pages)
        writer.append(reader, import_outline=False)
        start, stop = plan.parts[index]
        if annex is not None:
            writer.add_outline_item(title=label("units_part", mode, first=f"{start + 1:,}", last=f"{stop:,}"),
                                    page_number=first, parent=annex)
    if len(writer.pages) != plan.total_pages:
        raise RuntimeError(f"assembled {len(writer.pages)} pages, planned {plan.total_pages}")
    # pypdf would name itself as producer: keep the document information identical to the XMP packet.
    from pypdf.generic import TextStringObject

    writer._info = None  # noqa: SLF001 - replaced below with the front document's own entries
    writer.add_metadata({k: v for k, v in info.items()})
    if "/Producer" in info:
        writer._info.get_object()[NameObject("/Producer")] = TextStringObject(str(info["/Producer"]))  # noqa: SLF001
    out = BytesIO()
    writer.write(out)
    from . import signing

    sealed = seal(out.getvalue())
    return signing.sign(sealed) if signing.configured() else sealed


# --- the whole dossier, in one process -----------------------------------------------------

@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    page_count: int
    manifest: dict[str, Any]


def manifest_attachment(manifest: dict[str, Any]) -> tuple[str, bytes, str, str]:
    return (MANIFEST_NAME, manifest_bytes(manifest), "Cellpass dossier manifest (JSON)", "Data")


def render_front_final(prepared: Prepared, *, mode: str, plan: Plan, verify_url: str,
                       evidence_files: Iterable[tuple[str, str, bytes]] = ()) -> tuple[bytes, dict[str, Any]]:
    """The front document as PDF/A-3b with the manifest (and optionally evidence files) attached."""
    files = list(evidence_files)
    manifest = build_manifest(prepared.snapshot, digest=prepared.digest, page_count=plan.total_pages,
                              verify_url=verify_url, attached_files=tuple(revision for revision, _n, _d in files))
    document = layout(front_html(prepared, mode=mode, plan=plan, verify_url=verify_url))
    if len(document.pages) != plan.front_pages:
        raise RuntimeError("the front matter changed length between passes")
    attachments = [manifest_attachment(manifest)]
    attachments += [(f"evidence-{revision}-{name}", data, name, "Source") for revision, name, data in files]
    created = datetime.fromisoformat(prepared.snapshot.cover.issued_at)
    return write_pdf(document, attachments=attachments, created=created), manifest


def render_dossier(snapshot: Snapshot, *, digest: str, mode: str, verify_url: str,
                   evidence_files: Iterable[tuple[str, str, bytes]] = (), progress: Progress | None = None,
                   part_pages: int | None = None) -> Rendered:
    """Every stage in this process (one worker): front layout, unit parts, front, merge, seal."""
    report = progress or (lambda fraction: None)
    prepared = prepare(snapshot, digest)
    _document, plan = front_layout(prepared, mode=mode, verify_url=verify_url, part_pages=part_pages)
    del _document
    report(0.1)
    parts = []
    for index in range(len(plan.parts)):
        parts.append(render_part(prepared, mode=mode, plan=plan, part=index))
        report(0.1 + 0.75 * (index + 1) / max(1, len(plan.parts)))
    front_pdf, manifest = render_front_final(prepared, mode=mode, plan=plan, verify_url=verify_url,
                                             evidence_files=evidence_files)
    report(0.9)
    pdf = assemble(front_pdf, parts, plan=plan, mode=mode, annex_title=label("sec_units", mode))
    report(1.0)
    return Rendered(pdf=pdf, page_count=plan.total_pages, manifest=manifest)
