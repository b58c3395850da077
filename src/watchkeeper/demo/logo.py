"""The demo MSP's logo, drawn in pure Python at load time (no image file in the repository, no
image library): a lighthouse on a navy disc, as an RGBA PNG."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

Pixel = tuple[int, int, int, int]

NAVY: Pixel = (15, 58, 102, 255)
WHITE: Pixel = (255, 255, 255, 255)
AMBER: Pixel = (245, 176, 38, 255)
RED: Pixel = (200, 52, 44, 255)
CLEAR: Pixel = (0, 0, 0, 0)


def png_encode(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """A truecolour-with-alpha PNG of `pixel(x, y)` for each pixel."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )  # filter type 0 (none) before each row
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _lighthouse(x: int, y: int, size: int = 96) -> Pixel:
    centre = size / 2
    u, v = (x + 0.5) / size, (y + 0.5) / size  # 0…1 across and down
    if (x + 0.5 - centre) ** 2 + (y + 0.5 - centre) ** 2 > (centre - 1) ** 2:
        return CLEAR
    # The tower: a trapezoid from v 0.40 to 0.82, narrowing upwards, with two red bands.
    if 0.40 <= v <= 0.82:
        half = 0.07 + (v - 0.40) * 0.16
        if abs(u - 0.5) <= half:
            return RED if 0.52 <= v <= 0.58 or 0.68 <= v <= 0.74 else WHITE
    # The lantern and its beams.
    if 0.30 <= v < 0.40 and abs(u - 0.5) <= 0.06:
        return AMBER
    if 0.24 <= v < 0.30 and abs(u - 0.5) <= 0.08:
        return WHITE
    spread = abs(v - 0.35) * 2.2
    if abs(u - 0.5) > 0.06 and abs(u - 0.5) < 0.42 and spread <= (abs(u - 0.5) - 0.06) * 0.45:
        return (255, 214, 120, 255)
    if v > 0.82:  # the rock
        return (52, 84, 122, 255)
    return NAVY


def demo_logo_png() -> bytes:
    return png_encode(96, 96, _lighthouse)
