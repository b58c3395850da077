"""The logo check decides from the bytes alone: type by magic bytes, size from the header."""

from __future__ import annotations

import pytest

from tests.branding.images import GIF, HTML, SVG, jpeg, padded_png, png, png_claiming
from watchkeeper.branding.images import MAX_BYTES, image_inspect
from watchkeeper.core.errors import InvalidInput, TooLarge


def test_a_png_is_accepted_with_its_size_and_hash() -> None:
    info = image_inspect(png(120, 40))
    assert (info.content_type, info.width, info.height, info.extension) == ("image/png", 120, 40, "png")
    assert len(info.sha256) == 64


def test_a_jpeg_is_accepted_with_its_size() -> None:
    info = image_inspect(jpeg(64, 32))
    assert (info.content_type, info.width, info.height, info.extension) == ("image/jpeg", 64, 32, "jpg")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (GIF, "GIF logos are not accepted"),
        (SVG, "SVG logos are not accepted"),
        (b"  " + SVG.split(b"\n", 1)[1], "SVG logos are not accepted"),
        (HTML, "must be a PNG or JPEG image"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "WebP logos are not accepted"),
        (b"", "The file is empty"),
        (png()[:20], "damaged"),  # cut inside the header
        (png()[:-12], "cut short"),  # no IEND
        (png()[:29] + b"\x00\x00\x00\x00" + png()[33:], "does not check out"),  # IHDR CRC wrong
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 7 + b"\xff\xd9", "no frame header"),
    ],
)
def test_anything_else_is_refused_with_a_reason(data: bytes, words: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        image_inspect(data)
    assert words in refused.value.message and refused.value.field == "logo"


def test_an_html_page_renamed_png_is_refused_whatever_it_is_called() -> None:
    """Nothing but the bytes is looked at: there is no name or type to be fooled by."""
    with pytest.raises(InvalidInput):
        image_inspect(HTML)


def test_exactly_512_kb_is_accepted_and_one_byte_more_is_413() -> None:
    assert image_inspect(padded_png(MAX_BYTES)).width == 120
    with pytest.raises(TooLarge) as refused:
        image_inspect(padded_png(MAX_BYTES + 1))
    assert refused.value.status == 413 and "512 KB" in refused.value.message


@pytest.mark.parametrize(("width", "height"), [(2049, 10), (10, 2049), (60_000, 60_000), (0, 10)])
def test_absurd_dimensions_are_refused_before_any_decoding(width: int, height: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        image_inspect(png_claiming(width, height))
    assert f"{width} × {height} pixels" in refused.value.message


def test_the_largest_side_allowed_is_2048() -> None:
    assert image_inspect(png_claiming(2048, 2048)).height == 2048


def test_a_jpeg_of_huge_dimensions_is_refused() -> None:
    data = bytearray(jpeg(64, 32))
    start = data.index(b"\xff\xc0")  # baseline frame header: height and width after 5 bytes
    data[start + 5 : start + 9] = (5000).to_bytes(2, "big") + (5000).to_bytes(2, "big")
    with pytest.raises(InvalidInput, match="5000 × 5000"):
        image_inspect(bytes(data))
