"""QR, cut and cash drawer commands in the byte stream."""
from __future__ import annotations

import pytest

from pos.printing import PrinterSettings, Slip, build_prebill, build_receipt, slip_to_bytes

from .support import make_receipt, read_stream

PAYLOAD = "00020101021238570010A00000072701270006970436011301234567890208QRIBFTTA530370454065400005802VN63041D3F"
TCVN3_PAGES = {30: "tcvn3_lower", 31: "tcvn3_upper"}
ALL_MODES = [
    {"mode": "image"},
    {"mode": "codepage", "codepage": "tcvn3"},
    {"mode": "codepage", "codepage": "cp1258"},
    {"mode": "ascii"},
]


def stream_of(slip, **kwargs):
    return read_stream(slip_to_bytes(slip, PrinterSettings(**kwargs)), {**TCVN3_PAGES, 52: "cp1258"})


def test_the_native_qr_command_carries_the_payload_in_codepage_mode():
    stream = stream_of(build_prebill(make_receipt(), PAYLOAD), mode="codepage", paper_mm=58)
    assert stream.qr_payloads == [PAYLOAD.encode("ascii")]
    assert "GS ( k" in stream.names()
    assert stream.rasters == []


def test_the_native_qr_command_is_used_in_ascii_mode_too():
    stream = stream_of(build_prebill(make_receipt(), PAYLOAD), mode="ascii", paper_mm=80)
    assert stream.qr_payloads == [PAYLOAD.encode("ascii")]


def test_a_profile_without_native_qr_gets_the_qr_as_a_raster_image():
    stream = stream_of(build_prebill(make_receipt(), PAYLOAD), mode="codepage", paper_mm=58, profile="POS-5890")
    assert stream.qr_payloads == []
    assert len(stream.rasters) == 1 and stream.rasters[0][0] == 48


@pytest.mark.parametrize("options", ALL_MODES)
def test_cut_is_sent_when_the_printer_has_a_cutter_and_not_otherwise(options):
    slip = build_receipt(make_receipt())
    with_cutter = stream_of(slip, has_cutter=True, **options)
    assert with_cutter.names().count("GS V") == 1
    assert with_cutter.names()[-1] == "GS V"
    without = stream_of(slip, has_cutter=False, **options)
    assert "GS V" not in without.names()
    assert without.commands[-1] == ("ESC d", b"\x06")  # fed past the tear bar instead


def test_cut_follows_the_setting_even_when_the_profile_lists_no_cutter():
    stream = stream_of(Slip().text("Mật ong"), mode="codepage", has_cutter=True, profile="POS-5890")
    assert "GS V" in stream.names()


def test_a_slip_without_a_cut_block_is_still_cut_at_the_end():
    stream = stream_of(Slip().text("Mật ong"), mode="codepage", has_cutter=True)
    assert stream.names()[-1] == "GS V"


@pytest.mark.parametrize("options", ALL_MODES)
def test_drawer_kick_is_sent_only_when_asked_and_the_printer_has_a_drawer(options):
    slip = build_receipt(make_receipt())
    kick = ("ESC p", b"\x00\x32\x32")  # pin 2, python-escpos cashdraw(2)
    assert kick in read_stream(slip_to_bytes(slip, PrinterSettings(has_drawer=True, **options), open_drawer=True),
                               {**TCVN3_PAGES, 52: "cp1258"}).commands
    for has_drawer, open_drawer in ((True, False), (False, True), (False, False)):
        data = slip_to_bytes(slip, PrinterSettings(has_drawer=has_drawer, **options), open_drawer=open_drawer)
        assert "ESC p" not in read_stream(data, {**TCVN3_PAGES, 52: "cp1258"}).names()


@pytest.mark.parametrize("options", ALL_MODES)
def test_every_job_starts_by_resetting_the_printer(options):
    assert stream_of(Slip().text("Mật ong"), **options).names()[0] == "ESC @"


@pytest.mark.parametrize("options", ALL_MODES)
def test_an_empty_slip_still_ends_with_a_cut(options):
    assert stream_of(Slip(), **options).names()[-1] == "GS V"
