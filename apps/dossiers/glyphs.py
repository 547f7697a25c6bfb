"""Characters the dossier font cannot draw: found against the font's cmap and replaced visibly.

WeasyPrint would otherwise draw an empty box (or pick a system font that the PDF/A file may not be
allowed to rely on). Each such character becomes `[U+XXXX]` and the dossier lists them in a note,
so a reader sees that something was there. Pure apart from reading the vendored font once.
"""
from dataclasses import fields, is_dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

FONT_DIR = Path(__file__).resolve().parents[2] / "static" / "fonts"
FONT_FILES = ("NotoSansSC-Regular.subset.otf", "NotoSansSC-Bold.subset.otf")
KEEP = {"\n", "\r", "\t"}


@cache
def covered() -> frozenset[int]:
    """Code points every weight of the dossier font has a glyph for."""
    from fontTools.ttLib import TTFont

    sets = []
    for name in FONT_FILES:
        font = TTFont(str(FONT_DIR / name), lazy=True)
        sets.append(set(font.getBestCmap()))
        font.close()
    return frozenset(set.intersection(*sets))


def missing(text: str) -> set[str]:
    if text.isascii():
        return {c for c in text if (ord(c) < 0x20 and c not in KEEP) or ord(c) == 0x7F}
    cmap = covered()
    return {c for c in text if c not in KEEP and ord(c) not in cmap}


def replacement(char: str) -> str:
    return f"[U+{ord(char):04X}]"


def make_safe(text: str) -> tuple[str, set[str]]:
    gone = missing(text)
    if not gone:
        return text, gone
    return "".join(replacement(c) if c in gone else c for c in text), gone


def make_snapshot_safe(value: Any, found: set[str] | None = None) -> tuple[Any, set[str]]:
    """Walk frozen dataclasses / tuples / strings and replace every character the font lacks."""
    found = set() if found is None else found
    if isinstance(value, str):
        safe, gone = make_safe(value)
        found |= gone
        return safe, found
    if isinstance(value, tuple):
        items = tuple(make_snapshot_safe(v, found)[0] for v in value)
        return (value if items == value else items), found
    if is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in fields(value):
            current = getattr(value, f.name)
            if f.name in ("sha256", "hash", "prev_hash", "head_hash", "storage_name"):
                continue
            new, _ = make_snapshot_safe(current, found)
            if new is not current and new != current:
                changes[f.name] = new
        return (replace(value, **changes) if changes else value), found
    return value, found
