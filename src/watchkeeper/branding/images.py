"""Is an upload a logo we may store and serve? Decided from its bytes alone.

The file name and the client's Content-Type say nothing: an HTML page renamed `logo.png` and sent
as `image/png` is still HTML. So the type comes from the magic bytes, and the dimensions from
the image's own header (PNG's IHDR chunk, JPEG's start-of-frame marker), read by hand: nothing
is decompressed, so a small file that claims 60,000 × 60,000 pixels (a decompression bomb) is
refused before any image library sees it. SVG is refused outright: it is XML that can carry
script, and a logo served from our origin must never run anything.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass

from watchkeeper.core.errors import InvalidInput, TooLarge

MAX_BYTES = 512 * 1024
MAX_SIDE = 2048
PNG, JPEG = "image/png", "image/jpeg"
EXTENSIONS = {PNG: "png", JPEG: "jpg"}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SOI = b"\xff\xd8\xff"
# JPEG start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RSTn: no length follows
_NOT_AN_IMAGE = "The logo must be a PNG or JPEG image; this file is neither."


@dataclass(frozen=True)
class ImageInfo:
    content_type: str  # image/png or image/jpeg
    width: int
    height: int
    sha256: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def _refuse_other_kinds(data: bytes) -> None:
    """Name the formats people try most often, so the message says what to do."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<svg", b"<?xml")) or b"<svg" in head:
        raise InvalidInput(
            "SVG logos are not accepted (an SVG can carry script): export the logo as PNG.", field="logo"
        )
    if data.startswith((b"GIF87a", b"GIF89a")):
        raise InvalidInput("GIF logos are not accepted: save the logo as PNG or JPEG.", field="logo")
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        raise InvalidInput("WebP logos are not accepted: save the logo as PNG or JPEG.", field="logo")


def _png_size(data: bytes) -> tuple[int, int]:
    # Signature, then the IHDR chunk: length 13, type, width, height, 5 more bytes, CRC.
    if len(data) < 8 + 25 + 12 or data[12:16] != b"IHDR" or struct.unpack(">I", data[8:12])[0] != 13:
        raise InvalidInput("This PNG file is damaged (no image header).", field="logo")
    (crc,) = struct.unpack(">I", data[29:33])
    if zlib.crc32(data[12:29]) != crc:
        raise InvalidInput("This PNG file is damaged (its image header does not check out).", field="logo")
    if b"IEND" not in data[-32:]:  # the end chunk (a few bytes of trailing junk are tolerated)
        raise InvalidInput("This PNG file is cut short (it has no end): upload it again.", field="logo")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int]:
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            break
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker in _STANDALONE:
            position += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, or the scan started without a frame header
            break
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if length < 2:
            break
        if marker in _SOF:
            if position + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        position += 2 + length
    raise InvalidInput("This JPEG file is damaged (no frame header with its size).", field="logo")


def image_inspect(data: bytes) -> ImageInfo:
    """The logo's type, size and hash; TooLarge (413) over 512 KB, InvalidInput (400) for
    anything that is not a sound PNG or JPEG of at most 2048 pixels a side."""
    if len(data) > MAX_BYTES:
        raise TooLarge(
            f"The logo is {len(data) / 1024:.0f} KB; the limit is {MAX_BYTES // 1024} KB. "
            "A logo shown at 40 pixels high needs far less: export it smaller.",
            field="logo",
        )
    if not data:
        raise InvalidInput("The file is empty: choose a PNG or JPEG logo.", field="logo")
    if data.startswith(_PNG_SIGNATURE):
        content_type, (width, height) = PNG, _png_size(data)
    elif data.startswith(_JPEG_SOI):
        content_type, (width, height) = JPEG, _jpeg_size(data)
    else:
        _refuse_other_kinds(data)
        raise InvalidInput(_NOT_AN_IMAGE, field="logo")
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise InvalidInput(
            f"The logo is {width} × {height} pixels; at most {MAX_SIDE} pixels a side are accepted.",
            field="logo",
        )
    return ImageInfo(content_type, width, height, hashlib.sha256(data).hexdigest())
