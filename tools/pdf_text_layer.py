"""Point the text layer of a Chromium-printed PDF at CJK ideographs instead of radicals.

Noto CJK draws each Kangxi radical (U+2F00-U+2FDF) and many CJK radicals
supplement characters (U+2E80-U+2EFF) with the same glyph as the ideograph
they look like. The PDF writer of Chromium 156 maps a glyph back to the
lowest code point that uses it. In the printed book about one Chinese
character in ten came out as a radical (一 as U+2F00, 长 as U+2ED3), so
searching or copying text from the PDF missed them. :func:`repair_text_layer`
rewrites those entries of every ToUnicode map to the ideograph with the same
glyph; the drawing itself does not change.
"""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path

RADICALS = range(0x2E80, 0x2FE0)
IDEOGRAPHS = range(0x4E00, 0xA000)
# The font Chromium uses for Simplified Chinese, as fontconfig resolves it.
FONT_QUERY = "sans-serif:lang=zh-cn"
# PDF limits one bfchar block of a CMap to 100 entries.
BFCHAR_BLOCK = 100

_HEX = r"<([0-9A-Fa-f]+)>"
_BFCHAR_BLOCK = re.compile(r"\d+\s+beginbfchar(.*?)endbfchar", re.DOTALL)
_BFRANGE_BLOCK = re.compile(r"\d+\s+beginbfrange(.*?)endbfrange", re.DOTALL)
_BFCHAR = re.compile(rf"{_HEX}\s*{_HEX}")
_BFRANGE = re.compile(rf"{_HEX}\s*{_HEX}\s*(?:{_HEX}|\[([^\]]*)\])")

log = logging.getLogger(__name__)


def cjk_font() -> tuple[Path, int] | None:
    """Return the file and collection index of fontconfig's Simplified Chinese sans-serif font, if any."""
    try:
        result = subprocess.run(
            ["fc-match", "-f", "%{file}\t%{index}", FONT_QUERY], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError) as error:
        log.warning("fc-match failed (%s); the PDF's text layer is left as printed", error)
        return None
    path, _, index = result.stdout.partition("\t")
    return Path(path), int(index or 0)


def radical_ideographs(font_path: Path, font_number: int = 0) -> dict[int, int]:
    """Map each radical code point of a font to the ideograph the font draws with the same glyph."""
    from fontTools.ttLib import TTFont

    cmap = TTFont(font_path, fontNumber=font_number, lazy=True).getBestCmap()
    ideograph_of_glyph: dict[str, int] = {}
    for code_point, glyph in sorted(cmap.items()):
        if code_point in IDEOGRAPHS:
            ideograph_of_glyph.setdefault(glyph, code_point)
    return {
        code_point: ideograph_of_glyph[glyph]
        for code_point, glyph in cmap.items()
        if code_point in RADICALS and glyph in ideograph_of_glyph
    }


def cmap_entries(cmap: str) -> dict[str, str]:
    """Return a ToUnicode CMap's mapping as ``{source code: UTF-16BE hex}``, ranges expanded."""
    entries: dict[str, str] = {}
    for block in _BFCHAR_BLOCK.findall(cmap):
        entries.update((source.upper(), target.upper()) for source, target in _BFCHAR.findall(block))
    for block in _BFRANGE_BLOCK.findall(cmap):
        for low, high, start, array in _BFRANGE.findall(block):
            width, first, last = len(low), int(low, 16), int(high, 16)
            targets = re.findall(_HEX, array) if array else None
            for offset, code in enumerate(range(first, last + 1)):
                target = targets[offset] if targets else f"{int(start, 16) + offset:0{len(start)}X}"
                entries[f"{code:0{width}X}"] = target.upper()
    return entries


def rewrite_cmap(cmap: str, mapping: dict[int, int]) -> tuple[str, int]:
    """Return ``cmap`` with radical targets replaced through ``mapping``, and how many changed.

    The mapping section is rewritten as bfchar blocks; the header, code space
    ranges and trailer are kept. A CMap with nothing to change is returned as is.
    """
    entries = cmap_entries(cmap)
    changed = 0
    for source, target in entries.items():
        if len(target) == 4 and int(target, 16) in mapping:
            entries[source] = f"{mapping[int(target, 16)]:04X}"
            changed += 1
    if not changed:
        return cmap, 0

    first_block = min(m.start() for m in (_BFCHAR_BLOCK.search(cmap), _BFRANGE_BLOCK.search(cmap)) if m)
    trailer = cmap.index("endcmap")
    items = sorted(entries.items())
    blocks = []
    for start in range(0, len(items), BFCHAR_BLOCK):
        chunk = items[start : start + BFCHAR_BLOCK]
        lines = "\n".join(f"<{source}> <{target}>" for source, target in chunk)
        blocks.append(f"{len(chunk)} beginbfchar\n{lines}\nendbfchar\n")
    return cmap[:first_block] + "".join(blocks) + cmap[trailer:], changed


def repair_text_layer(pdf_path: Path, mapping: dict[int, int]) -> int:
    """Rewrite every ToUnicode map of ``pdf_path`` in place through ``mapping``; return the entries changed."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(pdf_path))
    changed = 0
    seen: set[int] = set()
    for page in writer.pages:
        fonts = page.get("/Resources", {}).get("/Font") or {}
        for font in fonts.values():
            stream = font.get_object().get("/ToUnicode")
            if stream is None or id(stream.get_object()) in seen:
                continue
            stream = stream.get_object()
            seen.add(id(stream))
            text, count = rewrite_cmap(stream.get_data().decode("latin-1"), mapping)
            if count:
                stream.set_data(text.encode("latin-1"))
                changed += count
    if changed:
        with pdf_path.open("wb") as output:
            writer.write(output)
    log.info("text layer of %s: %d glyphs now map to ideographs instead of radicals", pdf_path, changed)
    return changed
