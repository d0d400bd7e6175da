"""Read the words back out of a PDF that WeasyPrint wrote, with the standard library only.

WeasyPrint writes text as 2-byte glyph codes in Flate-compressed content streams, each font
with a ToUnicode CMap; objects may sit inside compressed object streams. This follows the
page's /Font resources to each font's CMap and decodes every Tj/TJ string with the font in
force. Enough for these tests; not a general PDF parser.
"""

from __future__ import annotations

import re
import zlib

_OBJ = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.S)
_STREAM = re.compile(rb"^(<<.*?>>)\s*stream\r?\n(.*)\r?\nendstream$", re.S)


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Object number -> (dictionary or value, decompressed stream data or None)."""
    objects: dict[int, tuple[bytes, bytes | None]] = {}
    for number, body in _OBJ.findall(pdf):
        match = _STREAM.match(body)
        if match is None:
            objects[int(number)] = (body, None)
            continue
        head, data = match.groups()
        if b"/FlateDecode" in head:
            data = zlib.decompress(data)
        objects[int(number)] = (head, data)
        if b"/ObjStm" in head:  # compressed objects: "num offset num offset ..." then the objects
            first = int(re.search(rb"/First (\d+)", head).group(1))
            pairs = [int(x) for x in data[:first].split()]
            offsets = list(zip(pairs[::2], pairs[1::2], strict=True))
            for i, (num, offset) in enumerate(offsets):
                end = offsets[i + 1][1] if i + 1 < len(offsets) else len(data) - first
                objects[num] = (data[first + offset:first + end].strip(), None)
    return objects


def _cmap(data: bytes) -> dict[bytes, str]:
    mapping: dict[bytes, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            mapping[bytes.fromhex(src.decode())] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            start, end, base = int(lo, 16), int(hi, 16), int(dst, 16)
            for code in range(start, end + 1):
                mapping[code.to_bytes(len(lo) // 2, "big")] = chr(base + code - start)
    return mapping


def pdf_text(pdf: bytes) -> str:
    """Every piece of text on every page, one text-showing operation per line."""
    objects = _objects(pdf)
    fonts: dict[bytes, dict[bytes, str]] = {}
    for head, _ in objects.values():
        blocks = re.findall(rb"/Font\s*<<(.*?)>>", head, re.S)  # a resource dictionary inline...
        blocks += [objects.get(int(ref), (b"", None))[0] for ref in re.findall(rb"/Font (\d+) 0 R", head)]  # ...or not
        for block in blocks:
            for name, ref in re.findall(rb"/([^\s/<>\[\]]+)\s+(\d+) 0 R", block):
                font = objects.get(int(ref), (b"", None))[0]
                to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", font)
                if to_unicode:
                    fonts[name] = _cmap(objects[int(to_unicode.group(1))][1] or b"")
    lines: list[str] = []
    for head, data in objects.values():
        if data is None or b"/ObjStm" in head or b"BT" not in data:
            continue
        cmap: dict[bytes, str] = {}
        for token in re.finditer(rb"/([^\s/<>\[\]]+)\s+[\d.]+\s+Tf|(\[(?:[^\]])*\])\s*TJ|<([0-9a-fA-F]*)>\s*Tj", data):
            if token.group(1):
                cmap = fonts.get(token.group(1), {})
                continue
            strings = re.findall(rb"<([0-9a-fA-F]*)>", token.group(2) or b"<" + token.group(3) + b">")
            raw = b"".join(bytes.fromhex(s.decode()) for s in strings)
            lines.append("".join(cmap.get(raw[i:i + 2], "\ufffd") for i in range(0, len(raw), 2)))
    return "\n".join(lines)


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) in points of every page, from its MediaBox."""
    sizes = []
    for head, _ in _objects(pdf).values():
        if re.search(rb"/Type\s*/Page(?![s\w])", head):
            x0, y0, x1, y1 = (float(v) for v in re.search(rb"/MediaBox\s*\[([^\]]*)\]", head).group(1).split())
            sizes.append((x1 - x0, y1 - y0))
    return sizes
