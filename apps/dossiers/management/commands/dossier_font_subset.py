"""Rebuild the vendored Noto Sans SC subset under static/fonts/ from Debian's fonts-noto-cjk.

The subset keeps the GB2312 repertoire, Latin (with the Latin-1 and Latin Extended-A/B letters of
European company names), general punctuation, arrows, mathematical operators, CJK punctuation and
full-width forms, plus the OpenType features the dossier uses (`hwid` turns Latin into half-width
glyphs so that the unit list aligns in columns without a table). Run once when the repertoire changes:

    manage.py dossier_font_subset [--source-dir /usr/share/fonts/opentype/noto]
"""
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

SC_INDEX = 2  # "Noto Sans CJK SC" inside NotoSansCJK-*.ttc
LAYOUT_FEATURES = ["kern", "liga", "locl", "hwid", "palt", "vert"]
EXTRA_RANGES = [(0x20, 0x7F), (0xA0, 0x250), (0x2000, 0x2070), (0x2100, 0x2150), (0x2190, 0x2200),
                (0x2200, 0x2300), (0x2460, 0x24A0), (0x25A0, 0x2600), (0x3000, 0x3040), (0xFF00, 0xFFF0)]
EXTRA_CODEPOINTS = {0x20AC, 0x2713, 0x2717, 0xFFFD}


def gb2312_codepoints() -> set[int]:
    codepoints = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                codepoints.add(ord(bytes([high, low]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return codepoints


def repertoire() -> set[int]:
    codepoints = gb2312_codepoints() | EXTRA_CODEPOINTS
    for start, end in EXTRA_RANGES:
        codepoints.update(range(start, end))
    return codepoints


class Command(BaseCommand):
    help = "Rebuild static/fonts/NotoSansSC-{Regular,Bold}.subset.otf from fonts-noto-cjk."

    def add_arguments(self, parser):
        parser.add_argument("--source-dir", default="/usr/share/fonts/opentype/noto")

    def handle(self, *args, **options):
        from fontTools import subset
        from fontTools.ttLib import TTCollection

        source = Path(options["source_dir"])
        target = Path(settings.BASE_DIR) / "static" / "fonts"
        codepoints = repertoire()
        for weight in ("Regular", "Bold"):
            path = source / f"NotoSansCJK-{weight}.ttc"
            if not path.exists():
                raise CommandError(f"{path} not found (apt-get install fonts-noto-cjk)")
            font = TTCollection(str(path)).fonts[SC_INDEX]
            opts = subset.Options()
            opts.layout_features = LAYOUT_FEATURES
            opts.name_IDs = ["*"]
            opts.name_languages = ["*"]
            opts.notdef_outline = True
            opts.hinting = False
            subsetter = subset.Subsetter(opts)
            subsetter.populate(unicodes=codepoints)
            subsetter.subset(font)
            out = target / f"NotoSansSC-{weight}.subset.otf"
            font.save(str(out))
            self.stdout.write(f"{out.name}: {out.stat().st_size // 1024} KB, {len(codepoints)} code points")
