"""Test images made in the test: a PNG of any declared size (pure Python), a real JPEG (Pillow,
which fpdf2 brings), and files that only pretend to be images."""

from __future__ import annotations

import io
import struct
import zlib

from watchkeeper.demo.logo import png_encode


def png(width: int = 120, height: int = 40, colour: tuple[int, int, int, int] = (11, 92, 173, 255)) -> bytes:
    return png_encode(width, height, lambda x, y: colour)


def png_claiming(width: int, height: int) -> bytes:
    """A small, well-formed PNG whose header claims `width` × `height` (a decompression bomb's
    trick: the header is all an attacker needs to lie about)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def jpeg(width: int = 64, height: int = 32) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, format="JPEG", quality=80)
    return out.getvalue()


GIF = (  # a 1 × 1 GIF
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def padded_png(total: int) -> bytes:
    """A real PNG grown to exactly `total` bytes with an ancillary text chunk."""
    base = png()
    filler = total - len(base) - 12
    text = b"Comment\x00" + b"x" * (filler - 8)
    chunk = struct.pack(">I", len(text)) + b"tEXt" + text + struct.pack(">I", zlib.crc32(b"tEXt" + text))
    return base[:33] + chunk + base[33:]
