"""The material-flow figure, drawn as SVG (pure): used batteries -> black mass -> recovered materials.

Every label is XML-escaped; the figure is embedded as a data: URI so the renderer never fetches it.
"""
from base64 import b64encode
from decimal import Decimal
from xml.sax.saxutils import escape

from .snapshot import MaterialFlow

BOX_W, BOX_H, GAP, COL_GAP, PAD = 150, 34, 10, 70, 10
MAX_BOXES = 12  # per column; the rest is summarised in one box


def _fmt(kg: str) -> str:
    try:
        return f"{Decimal(kg):,.1f} kg"
    except Exception:  # noqa: BLE001 - a malformed mass never breaks the figure
        return "? kg"


def _column(items: list[tuple[str, str]], more_label: str) -> list[tuple[str, str]]:
    if len(items) <= MAX_BOXES:
        return items
    rest = len(items) - (MAX_BOXES - 1)
    return items[: MAX_BOXES - 1] + [(more_label.format(count=rest), "")]


def material_flow_svg(flow: MaterialFlow, *, titles: tuple[str, str, str], more_label: str,
                      empty_label: str) -> str:
    columns = [
        _column([(s.reference, _fmt(s.received_kg or s.mass_kg)) for s in flow.shipments], more_label),
        _column([(lot.code, _fmt(lot.mass_kg)) for lot in flow.black_mass], more_label),
        _column([(lot.code, _fmt(lot.mass_kg)) for lot in flow.recovered], more_label),
    ]
    rows = max(1, *(len(c) for c in columns))
    width = PAD * 2 + BOX_W * 3 + COL_GAP * 2
    height = PAD * 2 + 22 + rows * (BOX_H + GAP)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="Noto Sans SC, sans-serif" font-size="10">']
    positions: dict[tuple[int, str], tuple[int, int]] = {}
    for index, (title, column) in enumerate(zip(titles, columns, strict=True)):
        x = PAD + index * (BOX_W + COL_GAP)
        parts.append(f'<text x="{x}" y="{PAD + 12}" font-weight="bold">{escape(title)}</text>')
        if not column:
            parts.append(f'<text x="{x}" y="{PAD + 40}" fill="#777">{escape(empty_label)}</text>')
        for row, (label, mass) in enumerate(column):
            y = PAD + 22 + row * (BOX_H + GAP)
            positions[(index, label)] = (x, y)
            fill = "#f4f4f4" if index == 1 else ("#e8f1fb" if index == 0 else "#e9f6ec")
            parts.append(f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="4" fill="{fill}" '
                         f'stroke="#555" stroke-width="0.8"/>')
            parts.append(f'<text x="{x + 6}" y="{y + 14}">{escape(label[:28])}</text>')
            if mass:
                parts.append(f'<text x="{x + 6}" y="{y + 27}" fill="#444">{escape(mass)}</text>')
    lots = [(1, lot) for lot in flow.black_mass] + [(2, lot) for lot in flow.recovered]
    for index, lot in lots:
        target = positions.get((index, lot.code))
        if target is None:
            continue
        for source in lot.sources:
            origin = positions.get((index - 1, source))
            if origin is None:
                continue
            x1, y1 = origin[0] + BOX_W, origin[1] + BOX_H // 2
            x2, y2 = target[0], target[1] + BOX_H // 2
            parts.append(f'<path d="M{x1},{y1} C{x1 + 35},{y1} {x2 - 35},{y2} {x2 - 4},{y2}" fill="none" '
                         f'stroke="#2a6db0" stroke-width="1.2"/>')
            parts.append(f'<path d="M{x2 - 6},{y2 - 3} L{x2},{y2} L{x2 - 6},{y2 + 3} z" fill="#2a6db0"/>')
    parts.append("</svg>")
    return "".join(parts)


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + b64encode(svg.encode("utf-8")).decode("ascii")
