"""Image mode: the raster the printer receives is the preview, dot for dot."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from pos.printing import PrinterSettings, Slip, build_prebill, build_receipt, preview_png, render_image, slip_to_bytes
from pos.printing.image import font_coverage, REGULAR_FONT

from .support import ALL_LETTERS, make_receipt, raster_rows, read_stream


def black_dots(image: Image.Image) -> bytes:
    """The image as GS v 0 rows: 1 bit per dot, 1 = black, rows padded to whole bytes."""
    return Image.eval(image.convert("L"), lambda v: 255 - v).convert("1").tobytes()


@pytest.mark.parametrize("paper, row_bytes", [(58, 48), (80, 72)])
def test_image_mode_sends_a_raster_of_the_paper_width_equal_to_the_preview_png(paper, row_bytes):
    slip = build_receipt(make_receipt())
    config = PrinterSettings(mode="image", paper_mm=paper)
    stream = read_stream(slip_to_bytes(slip, config))
    width, rows = raster_rows(stream)
    assert width == row_bytes
    preview = Image.open(io.BytesIO(preview_png(slip, config)))
    assert preview.size[0] == row_bytes * 8
    assert rows == black_dots(preview)
    assert stream.text.strip() == ""  # no text bytes: everything is in the picture


def test_image_mode_draws_the_qr_code_inside_the_picture():
    slip = build_prebill(make_receipt(), "00020101021238570010A0000007270127000697043601130123456789")
    stream = read_stream(slip_to_bytes(slip, PrinterSettings(mode="image", paper_mm=58)))
    assert stream.qr_payloads == []
    assert not any(name.startswith("GS (") for name in stream.names())
    assert len(stream.rasters) >= 1


def test_a_tall_slip_is_sent_in_bands_that_join_up_to_the_preview():
    slip = Slip().title("PHIẾU")
    for i in range(120):
        slip.row(f"Dòng {i}", f"{i * 1000} ₫")
    config = PrinterSettings(mode="image", paper_mm=80)
    stream = read_stream(slip_to_bytes(slip, config))
    assert len(stream.rasters) > 1
    assert all(rows <= 960 for _, rows, _ in stream.rasters)
    assert raster_rows(stream)[1] == black_dots(render_image(slip, config))


def test_the_bundled_font_has_every_vietnamese_letter_and_the_dong_sign_and_star():
    covered = font_coverage(str(REGULAR_FONT))
    for ch in ALL_LETTERS + ["₫", "★"]:
        assert ord(ch) in covered, ch


def test_the_image_is_pure_black_and_white_at_the_printer_width():
    image = render_image(build_receipt(make_receipt()), PrinterSettings(paper_mm=58))
    assert image.mode == "1"
    assert image.width == 384


def test_the_dot_widths_are_settings():
    image = render_image(Slip().text("Mật ong"), PrinterSettings(paper_mm=80, dots_80=512))
    assert image.width == 512


def test_a_profile_with_a_narrower_head_gets_a_narrower_image():
    # python-escpos refuses an image wider than the profile's media width; TM-T88V has 512 dots.
    config = PrinterSettings(paper_mm=80, profile="TM-T88V")
    assert render_image(Slip().text("Mật ong"), config).width == 512
    assert raster_rows(read_stream(slip_to_bytes(Slip().text("Mật ong"), config)))[0] == 64


def test_an_emoji_the_font_lacks_is_drawn_as_a_question_mark_and_never_raises():
    slip = Slip().text("Mật ong 🍯").text("?")
    config = PrinterSettings(paper_mm=58)
    with_emoji = black_dots(render_image(Slip().text("Mật ong 🍯"), config))
    with_mark = black_dots(render_image(Slip().text("Mật ong ?"), config))
    assert with_emoji == with_mark
    assert slip_to_bytes(slip, config)


def test_cuts_inside_a_slip_print_each_part_and_the_preview_stacks_them():
    slip = Slip().text("Liên 1").cut().text("Liên 2").cut()
    config = PrinterSettings(paper_mm=58)
    stream = read_stream(slip_to_bytes(slip, config))
    assert stream.names().count("GS V") == 2
    assert raster_rows(stream)[1] == black_dots(render_image(slip, config))
