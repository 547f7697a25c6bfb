"""Rendering with the real WeasyPrint: languages, extracted text, PDF/A-3 with its manifest, bookmarks,
page numbers across merged parts, injection, the URL fetcher, missing glyphs and missing files."""
import json
from io import BytesIO

import pytest
from pypdf import PdfReader

from apps.dossiers import manifest as manifests
from apps.dossiers import rendering
from apps.dossiers.snapshot import snapshot_digest
from tests.dossiers.snapshots import ORG_EN, ORG_ZH, checklist_with_results, make_snapshot

VERIFY = "http://localhost:8000/verify/"


def render(snapshot, mode="zh-hans", **kwargs):
    return rendering.render_dossier(snapshot, digest=snapshot_digest(snapshot), mode=mode, verify_url=VERIFY,
                                    **kwargs)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
def zh_dossier():
    return render(make_snapshot(units=130, checklist=checklist_with_results()), "zh-hans", part_pages=1)


def test_chinese_dossier_shows_the_chinese_names_with_real_glyphs(zh_dossier):
    text = text_of(zh_dossier.pdf)
    assert ORG_ZH in text
    assert "回收合同" in text and "溯源编码有效" in text
    assert "证据索引" in text  # the section title, translated
    assert "\ufffd" not in text and "[U+" not in text


def test_english_dossier_uses_english_labels_and_names():
    text = text_of(render(make_snapshot(units=3), "en").pdf)
    assert ORG_EN in text and "Evidence index" in text
    assert "证据索引" not in text


def test_bilingual_dossier_shows_both_languages_side_by_side():
    text = text_of(render(make_snapshot(units=3, checklist=checklist_with_results()), "bilingual").pdf)
    assert "证据索引" in text and "Evidence index" in text
    assert ORG_ZH in text and ORG_EN in text
    assert "缺少化验报告" in text and "No assay report." in text


def test_pdf_a3_with_the_manifest_attached(zh_dossier):
    reader = PdfReader(BytesIO(zh_dossier.pdf))
    xmp = reader.xmp_metadata.stream.get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="B"' in xmp
    assert reader.metadata["/Producer"].startswith("WeasyPrint")  # document info agrees with the XMP packet
    root = reader.trailer["/Root"]
    assert "/OutputIntents" in root and "/AF" in root
    manifest = json.loads(reader.attachments[manifests.MANIFEST_NAME][0])
    snapshot = make_snapshot(units=130, checklist=checklist_with_results())
    assert manifest == zh_dossier.manifest
    assert manifest["snapshot_digest"] == snapshot_digest(snapshot)
    assert manifest["evidence"][0]["sha256"] == "a" * 64
    assert [r["code"] for r in manifest["checklist"]["results"]] == ["CN-TRACE-01", "EU-ART8-01"]
    assert manifest["page_count"] == len(reader.pages) and manifest["unit_count"] == 130
    assert manifest["custody"] == {"available": False, "ledger_head": "", "entries": 0, "verified": False,
                                   "transfers": []}


def test_parts_are_merged_with_continuous_page_numbers_and_bookmarks(zh_dossier):
    reader = PdfReader(BytesIO(zh_dossier.pdf))
    total = len(reader.pages)
    assert total == zh_dossier.page_count
    for number in (1, total - 2, total - 1, total):  # front pages, then every merged part
        footer = reader.pages[number - 1].extract_text().replace(" ", "")
        assert footer.endswith(f"页码{number}/{total}")
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "3. 证据索引" in titles and any("附录" in t or "单元" in t for t in titles)
    annex_children = reader.outline[reader.outline.index(next(i for i in reader.outline if not isinstance(i, list)
                                                              and i.title == titles[-1])) + 1]
    unit_marks = [child.title for child in annex_children if "130" in child.title or "1 " in child.title]
    assert len(annex_children) >= 3 and unit_marks  # 130 units, 56 per page, one page per part


def test_the_seal_covers_every_byte(zh_dossier):
    assert manifests.check_pdf(zh_dossier.pdf).ok
    tampered = bytearray(zh_dossier.pdf)
    tampered[len(tampered) // 2] ^= 0x01
    check = manifests.check_pdf(bytes(tampered))
    assert not check.ok and "seal_broken" in [code for code, _text in check.problems]


def test_injected_html_renders_as_text_and_fetches_nothing(monkeypatch):
    fetched = []
    original = rendering.DossierURLFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(rendering.DossierURLFetcher, "fetch", spy)
    hostile = ('<img src="http://evil.example/x.png"><link rel=stylesheet href="file:///etc/passwd">'
               '<style>@import url(http://evil.example/a.css)</style>Contract')
    text = text_of(render(make_snapshot(units=2, title=hostile, org_en="ACME </style><script>x</script>"),
                          "en").pdf)
    assert '<img src="http://evil.example/x.png">' in text.replace("\n", "")
    assert "</style><script>" in text
    assert all(url.startswith("data:") or url.startswith("file://" + str(rendering.static_root())) for url in fetched)


def test_url_fetcher_refuses_file_outside_static_and_the_network():
    fetcher = rendering.DossierURLFetcher()
    for url in ("file:///etc/passwd", "http://127.0.0.1:9/x.png", "https://example.com/a.css",
                "file://" + str(rendering.static_root()) + "/../manage.py", "ftp://example.com/x"):
        with pytest.raises(rendering.RefusedURLError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 5
    font = fetcher.fetch((rendering.static_root() / "fonts" / "OFL.txt").as_uri())
    assert b"SIL OPEN FONT LICENSE" in font.read()


def test_html_asking_for_local_and_remote_files_renders_without_them():
    fetcher = rendering.DossierURLFetcher()
    document = rendering.layout('<p>x</p><img src="file:///etc/hostname"><img src="http://127.0.0.1:9/y.png">',
                                fetcher)
    assert len(document.pages) == 1
    assert sorted(fetcher.refused) == ["file:///etc/hostname", "http://127.0.0.1:9/y.png"]


def test_characters_no_font_has_are_replaced_and_noted():
    text = text_of(render(make_snapshot(units=1, org_zh="华源\U0001F50B动力"), "zh-hans").pdf)
    assert "华源[U+1F50B]动力" in text
    assert "[U+1F50B]" in text.split("华源[U+1F50B]动力", 1)[1]  # listed again in the note on the cover


def test_missing_evidence_file_is_stated_for_that_item():
    text = text_of(render(make_snapshot(units=1, file_present=False), "en").pdf)
    assert "File missing from storage" in text
    assert "a" * 16 in text.replace("\n", "")  # its recorded hash is still listed


def test_evidence_files_can_be_attached_beside_the_manifest():
    snapshot = make_snapshot(units=1)
    rendered = render(snapshot, "en", evidence_files=[("r1", "contract.pdf", b"%PDF-1.4 evidence")])
    attachments = PdfReader(BytesIO(rendered.pdf)).attachments
    assert attachments["evidence-r1-contract.pdf"] == [b"%PDF-1.4 evidence"]
    assert rendered.manifest["evidence"][0]["attached"] is True
