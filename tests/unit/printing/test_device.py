"""Choosing the printer by one URL setting, and delivering bytes to it (a real TCP socket stands in for a network printer)."""
from __future__ import annotations

import errno
import socket
import threading
import time

import pytest

from pos.printing import (
    PrinterConfigError, PrinterSettings, PrinterUnavailable, build_receipt, parse_printer_url, print_test_page,
    send_bytes, slip_to_bytes,
)

from .support import ALL_LETTERS, make_receipt, read_stream


class FakeNetworkPrinter:
    """A listening socket on 127.0.0.1 that records what one client sends, in a thread bounded in time."""

    def __init__(self, read: bool = True, seconds: float = 10.0):
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.server.settimeout(seconds)
        self.port = self.server.getsockname()[1]
        self.read = read
        self.seconds = seconds
        self.received = bytearray()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.server.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(self.seconds)
            if not self.read:  # a printer out of paper: accepts, then never reads
                self.stop.wait(self.seconds)
                return
            deadline = time.monotonic() + self.seconds
            while time.monotonic() < deadline:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                self.received += chunk

    def close(self):
        self.stop.set()
        self.server.close()
        self.thread.join(self.seconds + 1)


@pytest.fixture
def network_printer():
    printer = FakeNetworkPrinter()
    yield printer
    printer.close()


def free_port() -> int:
    """A port on 127.0.0.1 with nothing listening on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_send_bytes_delivers_the_exact_bytes_to_a_network_printer(network_printer):
    settings = PrinterSettings(url=f"tcp://127.0.0.1:{network_printer.port}", timeout=5)
    job = slip_to_bytes(build_receipt(make_receipt()), settings)
    send_bytes(job, settings)
    network_printer.thread.join(5)
    assert bytes(network_printer.received) == job
    assert len(job) > 10_000  # an image-mode job: many TCP segments, none lost


def test_with_nothing_listening_send_bytes_says_the_connection_was_refused():
    port = free_port()
    with pytest.raises(PrinterUnavailable) as caught:
        send_bytes(b"\x1b@", PrinterSettings(url=f"tcp://127.0.0.1:{port}", timeout=2))
    message = str(caught.value)
    assert message.startswith(f"Không kết nối được máy in 127.0.0.1:{port}: bị từ chối kết nối")
    assert caught.value.reason == "refused"
    assert caught.value.target == f"127.0.0.1:{port}"
    assert "Traceback" not in message and "Errno" not in message


def test_a_printer_that_stops_reading_times_out_with_a_clear_message():
    stuck = FakeNetworkPrinter(read=False, seconds=5)
    try:
        started = time.monotonic()
        with pytest.raises(PrinterUnavailable) as caught:
            send_bytes(b"\x00" * 64_000_000, PrinterSettings(url=f"tcp://127.0.0.1:{stuck.port}", timeout=0.5))
        assert time.monotonic() - started < 4
        assert caught.value.reason == "timeout"
        assert "quá thời gian chờ (0.5 giây)" in str(caught.value)
    finally:
        stuck.close()


@pytest.mark.parametrize("fault, reason, words", [
    (socket.gaierror(-2, "Name or service not known"), "host_not_found", "không tìm thấy máy có tên printer.local"),
    (OSError(errno.EHOSTUNREACH, "No route to host"), "unreachable", "không có đường mạng tới máy in"),
    (socket.timeout("timed out"), "timeout", "quá thời gian chờ (3 giây)"),
    (ConnectionResetError(errno.ECONNRESET, "reset"), "io", "ngắt kết nối"),
    (PermissionError(errno.EACCES, "Permission denied"), "permission", "không có quyền truy cập"),
])
def test_usual_network_faults_are_explained_in_plain_words(fault, reason, words):
    # Faults a test cannot stage reliably (DNS, routing) are fed in the way python-escpos raises them.
    from escpos.exceptions import DeviceNotFoundError

    from pos.printing.device import _unavailable

    try:
        try:
            raise fault
        except OSError:
            raise DeviceNotFoundError("Could not open socket")  # escpos wraps without "from"
    except DeviceNotFoundError as wrapped:
        error = _unavailable(wrapped, PrinterSettings(url="tcp://printer.local", timeout=3), opening=True)
    assert error.reason == reason
    assert str(error).startswith("Không kết nối được máy in printer.local:9100: ")
    assert words in str(error)


def test_send_bytes_writes_to_a_file_or_device_path(tmp_path):
    target = tmp_path / "lp0"
    for url in (f"file://{target}", str(target)):
        send_bytes(b"\x1b@Mat ong\n", PrinterSettings(url=url))
        assert target.read_bytes() == b"\x1b@Mat ong\n"


def test_a_missing_device_path_says_the_printer_is_not_there(tmp_path):
    missing = tmp_path / "no-such-dir" / "lp0"
    with pytest.raises(PrinterUnavailable) as caught:
        send_bytes(b"x", PrinterSettings(url=f"file://{missing}"))
    assert caught.value.reason == "not_found"
    assert str(caught.value).startswith(f"Không mở được máy in {missing}: không thấy thiết bị")


def test_no_printer_configured_is_reported_not_silently_dropped():
    with pytest.raises(PrinterUnavailable) as caught:
        send_bytes(b"x", PrinterSettings(url="none"))
    assert caught.value.reason == "not_configured"


def test_a_missing_driver_library_is_named():
    from escpos.printer import serial, usb

    if not usb.is_usable():
        with pytest.raises(PrinterUnavailable) as caught:
            send_bytes(b"x", PrinterSettings(url="usb://04b8:0202"))
        assert caught.value.reason == "driver_missing" and "pyusb" in str(caught.value)
    if not serial.is_usable():
        with pytest.raises(PrinterUnavailable) as caught:
            send_bytes(b"x", PrinterSettings(url="serial:///dev/ttyUSB0?baudrate=19200"))
        assert caught.value.reason == "driver_missing" and "pyserial" in str(caught.value)


def test_print_test_page_sends_every_vietnamese_letter(network_printer):
    # This fake never answers a status query: the test page goes out unasked, as to such a printer.
    settings = PrinterSettings(url=f"tcp://127.0.0.1:{network_printer.port}", mode="codepage", codepage="cp1258",
                               timeout=5, asks_status=False)
    assert print_test_page(settings) is None
    network_printer.thread.join(5)
    printed = read_stream(bytes(network_printer.received), {52: "cp1258"}).text
    for letter in ALL_LETTERS + ["₫"]:
        assert letter in printed


def test_print_test_page_raises_printer_unavailable_when_the_printer_is_off():
    with pytest.raises(PrinterUnavailable):
        print_test_page(PrinterSettings(url=f"tcp://127.0.0.1:{free_port()}", timeout=2))


@pytest.mark.parametrize("url, kind, described", [
    ("tcp://192.168.1.50:9100", "tcp", "192.168.1.50:9100"),
    ("tcp://printer.local", "tcp", "printer.local:9100"),
    ("usb://04b8:0202", "usb", "USB 04b8:0202"),
    ("usb://0416:5011?out_ep=0x03&in_ep=0x81", "usb", "USB 0416:5011"),
    ("serial:///dev/ttyUSB0?baudrate=19200", "serial", "/dev/ttyUSB0"),
    ("serial://COM3", "serial", "COM3"),
    ("file:///dev/usb/lp0", "file", "/dev/usb/lp0"),
    ("/dev/usb/lp0", "file", "/dev/usb/lp0"),
    ("cups://POS80", "cups", "CUPS POS80"),
    ("win32://POS-80 Printer", "win32", "POS-80 Printer"),
    ("none", "none", "(không có máy in)"),
    ("", "none", "(không có máy in)"),
])
def test_the_printer_url_names_every_kind_of_printer(url, kind, described):
    target = parse_printer_url(url)
    assert target.kind == kind
    assert target.describe() == described


def test_the_printer_url_parts_are_parsed():
    usb = parse_printer_url("usb://0416:5011?out_ep=0x03&in_ep=0x81")
    assert (usb.vendor_id, usb.product_id, usb.out_ep, usb.in_ep) == (0x0416, 0x5011, 3, 0x81)
    assert parse_printer_url("serial:///dev/ttyUSB0?baudrate=19200").baudrate == 19200
    assert parse_printer_url("tcp://10.0.0.7:9101").port == 9101


@pytest.mark.parametrize("url", [
    "tcp://", "tcp://:9100", "tcp://host:99999", "tcp://host:abc", "tcp://host:", "usb://04b8", "usb://zz:0202",
    "usb://04b8:0202?speed=1", "serial://", "serial:///dev/ttyS0?baudrate=fast", "file://", "win32://", "lpt1",
    "http://192.168.1.50", "192.168.1.50:9100",
])
def test_a_malformed_printer_url_is_refused_in_plain_words(url):
    with pytest.raises(PrinterConfigError) as caught:
        parse_printer_url(url)
    assert str(caught.value).startswith(f"Địa chỉ máy in không hợp lệ: '{url}'.")
    assert "tcp://192.168.1.50:9100" in str(caught.value)  # shows a valid form
    assert caught.value.setting == "url"


def test_the_default_mode_is_image_except_over_serial():
    assert PrinterSettings(url="tcp://10.0.0.7").mode == "image"
    assert PrinterSettings(url="usb://04b8:0202").mode == "image"
    assert PrinterSettings(url="/dev/usb/lp0").mode == "image"
    assert PrinterSettings(url="serial:///dev/ttyUSB0").mode == "codepage"
    assert PrinterSettings(url="serial:///dev/ttyUSB0", mode="ascii").mode == "ascii"


def test_paper_width_gives_dots_and_columns():
    assert (PrinterSettings(paper_mm=58).dots, PrinterSettings(paper_mm=58).columns) == (384, 32)
    assert (PrinterSettings(paper_mm=80).dots, PrinterSettings(paper_mm=80).columns) == (576, 48)


@pytest.mark.parametrize("kwargs, setting", [
    ({"paper_mm": 76}, "paper_mm"), ({"mode": "pdf"}, "mode"), ({"codepage": "viscii"}, "codepage"),
    ({"slot_cp1258": 300}, "slot_cp1258"), ({"timeout": 0}, "timeout"), ({"profile": "no-such-printer"}, "profile"),
    ({"url": "tcp://"}, "url"),
])
def test_bad_settings_are_refused_naming_the_setting(kwargs, setting):
    with pytest.raises(PrinterConfigError) as caught:
        PrinterSettings(**kwargs)
    assert caught.value.setting == setting


def test_settings_can_be_read_from_a_config_mapping():
    config = {"PRINTER_URL": "serial:///dev/ttyUSB0?baudrate=19200", "PRINTER_PAPER_MM": "58",
              "PRINTER_HAS_CUTTER": "false", "PRINTER_SLOT_CP1258": "27", "PRINTER_CODEPAGE": "cp1258",
              "PRINTER_TIMEOUT": "3.5", "SECRET_KEY": "x"}
    settings = PrinterSettings.from_mapping(config, prefix="PRINTER_")
    assert (settings.paper_mm, settings.has_cutter, settings.slot_cp1258, settings.timeout) == (58, False, 27, 3.5)
    assert settings.mode == "codepage" and settings.codepage == "cp1258"
    with pytest.raises(PrinterConfigError):
        PrinterSettings.from_mapping({"PRINTER_HAS_DRAWER": "maybe"}, prefix="PRINTER_")
