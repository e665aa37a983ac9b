"""Mapping CJK radicals in a PDF's ToUnicode maps back to ideographs (tools/pdf_text_layer.py)."""

from __future__ import annotations

import pytest

from tools.pdf_text_layer import cjk_font, cmap_entries, radical_ideographs, rewrite_cmap

HEADER = "begincmap\n1 begincodespacerange\n<00> <FF>\nendcodespacerange\n"
TRAILER = "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
# 一 is drawn with the glyph of the Kangxi radical U+2F00, 长 with that of U+2ED3.
MAPPING = {0x2F00: 0x4E00, 0x2ED3: 0x957F}


def cmap(body: str) -> str:
    return HEADER + body + TRAILER


def test_cmap_entries_expands_ranges():
    text = cmap(
        "2 beginbfchar\n<01> <2F00>\n<02> <0041>\nendbfchar\n"
        "2 beginbfrange\n<10> <12> <0030>\n<20> <21> [<4E0E> <2ED3>]\nendbfrange\n"
    )
    assert cmap_entries(text) == {
        "01": "2F00",
        "02": "0041",
        "10": "0030",
        "11": "0031",
        "12": "0032",
        "20": "4E0E",
        "21": "2ED3",
    }


def test_rewrite_cmap_maps_radicals():
    text = cmap("1 beginbfchar\n<01> <2F00>\nendbfchar\n1 beginbfrange\n<02> <03> <2ED2>\nendbfrange\n")
    rewritten, changed = rewrite_cmap(text, MAPPING)
    # <01> -> U+2F00 and <03> -> U+2ED2 + 1 = U+2ED3 are radicals; <02> -> U+2ED2 is not in MAPPING.
    assert changed == 2
    assert cmap_entries(rewritten) == {"01": "4E00", "02": "2ED2", "03": "957F"}
    assert rewritten.startswith(HEADER)
    assert rewritten.endswith(TRAILER)


def test_rewrite_cmap_without_radicals_is_unchanged():
    text = cmap("1 beginbfchar\n<01> <0041>\nendbfchar\n")
    assert rewrite_cmap(text, MAPPING) == (text, 0)


def test_rewrite_cmap_splits_blocks_of_100():
    body = "".join(f"<{code:02X}> <2F00>\n" for code in range(150))
    rewritten, changed = rewrite_cmap(cmap(f"150 beginbfchar\n{body}endbfchar\n"), MAPPING)
    # 150 entries, at most 100 per bfchar block: one block of 100 and one of 50.
    assert changed == 150
    assert "100 beginbfchar" in rewritten
    assert "50 beginbfchar" in rewritten


def test_radical_ideographs_of_installed_font():
    font = cjk_font()
    if font is None or not font[0].is_file():
        pytest.skip("no Chinese font known to fontconfig")
    mapping = radical_ideographs(*font)
    assert mapping[0x2F00] == 0x4E00
    assert all(0x4E00 <= ideograph < 0xA000 for ideograph in mapping.values())
