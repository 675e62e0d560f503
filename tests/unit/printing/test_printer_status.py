"""deliver(): the printer is asked how it is (DLE EOT) before and after each job, in plain words when it is not well."""
import socket
import threading
import time

import pytest

from pos.printing import PrinterSettings, PrinterUnavailable, deliver


class StatusPrinter:
    """A network printer on 127.0.0.1 answering DLE EOT n with status[n]; it stops answering after `answers` replies."""

    def __init__(self, status, answers=None):
        self.status, self.answers = status, answers
        self.received = bytearray()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            try:
                while chunk := conn.recv(65536):
                    start = len(self.received)
                    self.received += chunk
                    i = max(start - 2, 0)
                    while (i := self.received.find(b"\x10\x04", i)) >= 0 and i + 2 < len(self.received):
                        if i + 2 >= start and (self.answers is None or self.answers > 0):
                            conn.sendall(bytes([self.status[self.received[i + 2]]]))
                            if self.answers is not None:
                                self.answers -= 1
                        i += 3
            except OSError:
                return

    def close(self):
        self.sock.close()


def settings(port, **extra):
    return PrinterSettings(url=f"tcp://127.0.0.1:{port}", mode="ascii", timeout=1, **extra)


WELL = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}


@pytest.mark.parametrize("status, reason, words", [
    ({1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12}, "cover_open", "nắp máy in đang mở"),           # offline, cover open
    ({1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x72}, "paper_out", "hết giấy"),                      # stopped at paper end
    ({1: 0x1A, 2: 0x52, 3: 0x12, 4: 0x12}, "printer_error", "máy in đang báo lỗi"),       # error bit
    ({1: 0x1A, 2: 0x12, 3: 0x12, 4: 0x12}, "offline", "offline"),                         # offline, cause not given
])
def test_a_printer_that_is_not_well_is_named_in_plain_words_and_gets_no_slip(status, reason, words):
    printer = StatusPrinter(status)
    try:
        with pytest.raises(PrinterUnavailable) as caught:
            deliver(b"HELLO\n", settings(printer.port))
        assert caught.value.reason == reason and words in str(caught.value)
        assert b"HELLO" not in printer.received
    finally:
        printer.close()


def test_a_well_printer_is_asked_before_and_after_and_the_job_is_confirmed():
    printer = StatusPrinter(WELL)
    try:
        delivery = deliver(b"HELLO\n", settings(printer.port))
        assert delivery.confirmed
        time.sleep(0.1)
        assert bytes(printer.received) == b"\x10\x04\x01HELLO\n\x10\x04\x01"
    finally:
        printer.close()


def test_a_printer_that_stops_answering_after_the_job_fails_it_and_says_to_look_before_reprinting():
    printer = StatusPrinter(WELL, answers=1)  # answers the question before, never the one after
    try:
        started = time.monotonic()
        with pytest.raises(PrinterUnavailable) as caught:
            deliver(b"HELLO\n", settings(printer.port))
        assert time.monotonic() - started < 4
        assert caught.value.reason == "no_answer" and "Xem phiếu có ra không" in str(caught.value)
    finally:
        printer.close()


def test_an_answer_that_is_not_an_escpos_status_counts_as_no_answer():
    printer = StatusPrinter({1: 0xFF, 2: 0xFF, 3: 0xFF, 4: 0xFF})  # bits 0 and 7 set: not a status byte
    try:
        with pytest.raises(PrinterUnavailable) as caught:
            deliver(b"HELLO\n", settings(printer.port))
        assert caught.value.reason == "no_answer" and "Chưa gửi phiếu" in str(caught.value)
    finally:
        printer.close()


def test_a_device_path_cannot_answer_so_the_job_is_sent_not_confirmed(tmp_path):
    device = tmp_path / "lp0"
    assert deliver(b"HELLO\n", PrinterSettings(url=str(device), mode="ascii")).confirmed is False
    assert device.read_bytes() == b"HELLO\n"
