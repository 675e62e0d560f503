"""A sale is committed first, then printed; a printer that is off never loses or blocks it."""
import socket
import threading

import pytest

from pos.workers import print_pending, recover_at_start
from tests.conftest import login


TCVN3_PAGES = {30: "tcvn3_lower", 31: "tcvn3_upper"}


def decoded(data) -> str:
    """The text a TCVN-3 printer with the default slots would print (an independent decoder)."""
    from tests.unit.printing.support import read_stream

    return read_stream(bytes(data), TCVN3_PAGES).text


# Status bytes a printer answers to DLE EOT 1, 2, 4 (bits 1 and 4 are always set).
WELL = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}
PAPER_OUT = {1: 0x12 | 0x08, 2: 0x12 | 0x20, 3: 0x12, 4: 0x12 | 0x60}  # offline, stopped at paper end, no paper


class FakeNetworkPrinter:
    """A TCP socket on 127.0.0.1 standing in for a network receipt printer: keeps every byte it receives.

    status: the byte answered to each DLE EOT n query (None: it never answers). reads=False: it accepts
    the connection and never reads a byte, as a jammed printer or a buffering clone does.
    """

    def __init__(self, status=None, reads=True):
        self.status, self.reads = status, reads
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received = bytearray()
        self.jobs_read = 0  # connections read to their end
        self._read = threading.Condition()
        self.sock.listen(5)
        self.sock.settimeout(10)
        self._held = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        try:
            while True:
                conn, _ = self.sock.accept()
                if not self.reads:
                    self._held.append(conn)  # connected, never read
                    continue
                with conn:
                    conn.settimeout(5)
                    while chunk := conn.recv(65536):
                        start = len(self.received)
                        self.received += chunk
                        self._answer(conn, start)
                with self._read:
                    self.jobs_read += 1
                    self._read.notify_all()
        except OSError:
            return

    def _answer(self, conn, start):
        if self.status is None:
            return
        data = self.received
        i = max(start - 2, 0)
        while (i := data.find(b"\x10\x04", i)) >= 0 and i + 2 < len(data):
            if i + 2 >= start:
                conn.sendall(bytes([self.status[data[i + 2]]]))
            i += 3

    def wait_for_jobs(self, count):
        """Wait until `count` jobs in all have been read whole: the sender may finish before this thread
        has read its last bytes (on a busy machine, long before)."""
        with self._read:
            assert self._read.wait_for(lambda: self.jobs_read >= count, timeout=10), (self.jobs_read, count)

    def close(self):
        self.sock.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def printer():
    p = FakeNetworkPrinter(status=WELL)
    yield p
    p.close()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def shop(app, world, client):
    from pos.extensions import db
    from pos.models import Till

    pid = world.product(name="Mật ong rừng Bình Liêu", price_vnd=250000, stock=5, ocop_stars=3)
    world.user("manager", username="quanly")
    login(client, "quanly")
    with app.app_context():
        till_id = db.session.query(Till).filter_by(code="T1").one().id
    return dict(pid=pid, till_id=till_id)


def _set_printer(client, url, mode="codepage", codepage="tcvn3", asks_status=True, timeout="2"):
    data = dict(url=url, paper_mm="58", mode=mode, codepage=codepage, profile="default", slot_tcvn3_lower="30",
                slot_tcvn3_upper="31", slot_cp1258="52", timeout=timeout, has_cutter="1", has_drawer="1")
    if asks_status:
        data["asks_status"] = "1"
    response = client.post("/setup/printer", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def _sell(client, shop, key):
    return client.post("/api/v1/sales", headers={"Idempotency-Key": key}, json=dict(
        till_id=shop["till_id"], lines=[dict(product_id=shop["pid"], qty=1)],
        payments=[dict(method="cash", tendered_vnd=300000)]))


def test_a_sale_prints_to_a_network_printer_after_it_is_committed(app, client, shop, printer):
    _set_printer(client, f"tcp://127.0.0.1:{printer.port}")
    sale = _sell(client, shop, "k1").json
    assert sale["print_job"]["status"] == "pending"
    assert print_pending(app) == 1
    job = client.get(f"/api/v1/print-jobs/{sale['print_job']['id']}").json
    assert (job["status"], job["status_label"]) == ("done", "Đã in")
    printer.wait_for_jobs(1)
    text = decoded(printer.received)
    assert "PHIẾU THANH TOÁN" in text and sale["receipt_no"] in text and "Mật ong rừng Bình Liêu" in text
    assert b"\x1bp" in printer.received  # the cash drawer opens for a cash sale
    # The printer was asked how it is before the slip and again after it.
    assert printer.received.startswith(b"\x10\x04\x01") and printer.received.endswith(b"\x10\x04\x01")


def test_a_printer_that_accepts_and_never_reads_fails_the_job_with_a_reason(app, client, shop):
    import time

    stuck = FakeNetworkPrinter(reads=False)
    try:
        _set_printer(client, f"tcp://127.0.0.1:{stuck.port}", timeout="1")
        sale = _sell(client, shop, "k1").json
        started = time.monotonic()
        print_pending(app)
        assert time.monotonic() - started < 5  # bounded by the 1 s timeout, never a hang
        job = client.get(f"/api/v1/print-jobs/{sale['print_job']['id']}").json
        assert job["status"] == "failed"
        assert "không trả lời trong 1 giây" in job["error"] and "Chưa gửi phiếu" in job["error"]
        page = client.get("/sell/print-jobs").get_data(as_text=True)
        assert "In lỗi" in page and "không trả lời" in page
    finally:
        stuck.close()


def test_a_printer_out_of_paper_is_told_in_plain_words_and_gets_no_slip(app, client, shop):
    empty = FakeNetworkPrinter(status=PAPER_OUT)
    try:
        _set_printer(client, f"tcp://127.0.0.1:{empty.port}")
        sale = _sell(client, shop, "k1").json
        print_pending(app)
        job = client.get(f"/api/v1/print-jobs/{sale['print_job']['id']}").json
        assert job["status"] == "failed" and "hết giấy" in job["error"]
        # Only the questions reached it: no half slip to tear off, and a retry prints it once.
        assert bytes(empty.received) == b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"
        assert "hết giấy" in client.get("/sell/print-jobs").get_data(as_text=True)

        empty.status = WELL  # a new roll is in
        client.post(f"/api/v1/print-jobs/{job['id']}/retry")
        print_pending(app)
        assert client.get(f"/api/v1/print-jobs/{job['id']}").json["status"] == "done"
        assert sale["receipt_no"] in decoded(empty.received[9:])
    finally:
        empty.close()


def test_a_printer_that_cannot_answer_is_sent_the_job_but_not_called_printed(app, client, shop, tmp_path):
    device = tmp_path / "lp0"  # a device path: python-escpos can write to it, never read from it
    _set_printer(client, str(device))
    sale = _sell(client, shop, "k1").json
    print_pending(app)
    job = client.get(f"/api/v1/print-jobs/{sale['print_job']['id']}").json
    assert (job["status"], job["status_label"]) == ("sent", "Đã gửi, máy in không xác nhận")
    assert sale["receipt_no"] in decoded(device.read_bytes())
    assert "Đã gửi, máy in không xác nhận" in client.get("/sell/print-jobs").get_data(as_text=True)


def test_with_the_printer_off_the_sale_is_kept_and_the_job_fails_then_a_retry_prints_it(app, client, shop):
    port = _free_port()  # nothing listens here yet: the printer is "off"
    _set_printer(client, f"tcp://127.0.0.1:{port}", asks_status=False)  # a printer that never answers DLE EOT
    sale = _sell(client, shop, "k1")
    assert sale.status_code == 201
    job_id = sale.json["print_job"]["id"]
    print_pending(app)
    job = client.get(f"/api/v1/print-jobs/{job_id}").json
    assert job["status"] == "failed" and "127.0.0.1" in job["error"]
    assert client.get(f"/api/v1/sales/{sale.json['id']}").status_code == 200
    page = client.get("/sell/print-jobs").get_data(as_text=True)
    assert sale.json["receipt_no"] in page and "In lại" in page

    # The printer comes back on the same address; the cashier presses retry.
    revived = socket.socket()
    revived.bind(("127.0.0.1", port))
    revived.listen(1)
    received = bytearray()

    def accept():
        conn, _ = revived.accept()
        with conn:
            while chunk := conn.recv(65536):
                received.extend(chunk)

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    assert client.post(f"/api/v1/print-jobs/{job_id}/retry").json["status"] == "pending"
    print_pending(app)
    t.join(timeout=10)
    revived.close()
    assert client.get(f"/api/v1/print-jobs/{job_id}").json["status"] == "sent"  # it cannot say it printed
    assert sale.json["receipt_no"].encode() in received


def test_a_reprint_says_so_and_does_not_open_the_drawer(app, client, shop, printer):
    _set_printer(client, f"tcp://127.0.0.1:{printer.port}")
    sale = _sell(client, shop, "k1").json
    print_pending(app)
    printer.wait_for_jobs(1)
    printer.received.clear()
    assert client.post(f"/sell/sales/{sale['id']}/reprint").status_code == 302
    print_pending(app)
    printer.wait_for_jobs(2)
    assert "BẢN IN LẠI" in decoded(printer.received)
    assert b"\x1bp" not in printer.received


def test_jobs_left_unprinted_by_a_crash_are_listed_not_printed_unasked(app, client, shop, printer):
    _set_printer(client, f"tcp://127.0.0.1:{printer.port}")
    sale = _sell(client, shop, "k1").json  # the server "dies" before the worker prints it
    assert recover_at_start(app) == 1
    assert print_pending(app) == 0
    assert printer.received == b""
    job = client.get(f"/api/v1/print-jobs/{sale['print_job']['id']}").json
    assert job["status"] == "failed" and "máy chủ dừng" in job["error"]


def test_a_booth_without_a_printer_sells_without_print_jobs(client, shop):
    _set_printer(client, "none")
    sale = _sell(client, shop, "k1").json
    assert sale["print_job"] == {"id": None, "status": "off"}


def test_a_malformed_printer_address_is_refused_in_plain_words(client, shop):
    response = client.post("/setup/printer", data=dict(url="tcp://", paper_mm="80", mode="image"))
    assert response.status_code == 422


def test_the_test_page_button_says_what_failed(client, shop):
    _set_printer(client, f"tcp://127.0.0.1:{_free_port()}")
    page = client.post("/setup/printer/test", follow_redirects=True).get_data(as_text=True)
    assert "In thử không được" in page and "127.0.0.1" in page


def test_the_sale_page_previews_the_slip_and_its_image(client, shop):
    sale = _sell(client, shop, "k1").json
    page = client.get(f"/sell/sales/{sale['id']}").get_data(as_text=True)
    assert "PHIẾU THANH TOÁN" in page and 'class="slip-text"' in page
    png = client.get(f"/sell/sales/{sale['id']}/slip.png")
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("mode, codepage, pages", [
    ("codepage", "tcvn3", TCVN3_PAGES), ("codepage", "cp1258", {52: "cp1258"}), ("ascii", "tcvn3", {}),
])
def test_a_demo_like_sale_prints_readable_vietnamese_in_each_text_mode(app, client, shop, printer, mode, codepage, pages):
    from tests.unit.printing.support import read_stream

    _set_printer(client, f"tcp://127.0.0.1:{printer.port}", mode=mode, codepage=codepage)
    sale = _sell(client, shop, f"k-{mode}-{codepage}").json
    print_pending(app)
    printer.wait_for_jobs(1)
    text = read_stream(bytes(printer.received), pages).text
    if mode == "ascii":
        assert "PHIEU THANH TOAN" in text and "Mat ong rung Binh Lieu" in text
    else:
        assert "PHIẾU THANH TOÁN" in text and "Mật ong rừng Bình Liêu" in text and "Ð" not in text
    assert sale["receipt_no"] in text


def test_in_image_mode_the_printer_gets_the_preview_png_dot_for_dot(app, client, shop, printer):
    from io import BytesIO

    from PIL import Image

    from tests.unit.printing.support import raster_rows, read_stream

    _set_printer(client, f"tcp://127.0.0.1:{printer.port}", mode="image")
    sale = _sell(client, shop, "k-image").json
    print_pending(app)
    printer.wait_for_jobs(1)
    width_bytes, bitmap = raster_rows(read_stream(bytes(printer.received)))
    assert width_bytes == 384 // 8  # 58 mm paper: 384 dots
    preview = Image.open(BytesIO(client.get(f"/sell/sales/{sale['id']}/slip.png").data)).convert("1")
    assert preview.width == 384
    # ESC/POS raster: 1 bits are black; PIL mode "1": 0 is black.
    expected = bytes(b ^ 0xFF for b in preview.tobytes())
    assert bitmap == expected


def test_closing_a_shift_prints_its_z_report_and_a_void_prints_its_slip(app, client, shop, printer):
    _set_printer(client, f"tcp://127.0.0.1:{printer.port}")
    sale = _sell(client, shop, "k-z").json
    print_pending(app)
    printer.wait_for_jobs(1)
    printer.received.clear()
    void = client.post(f"/api/v1/shifts/sales/{sale['id']}/void", json={"reason": "Khách đổi ý", "manager_pin": "2468"})
    assert void.status_code == 201, void.json
    shift_id = client.get(f"/api/v1/shifts/current?till_id={shop['till_id']}").json["id"]
    closed = client.post(f"/api/v1/shifts/{shift_id}/close", json={"counts": {"500000": 2}})
    assert closed.status_code == 200, closed.json
    assert print_pending(app) == 2
    printer.wait_for_jobs(3)
    text = decoded(printer.received)
    assert "HỦY" in text and sale["receipt_no"] in text
    assert "BÁO CÁO CHỐT CA (Z)" in text


def test_two_transfers_in_one_sale_are_refused_clearly_and_nothing_is_written(app, client, shop):
    response = client.post("/api/v1/sales", headers={"Idempotency-Key": "k-two"}, json=dict(
        till_id=shop["till_id"], lines=[dict(product_id=shop["pid"], qty=1)],
        payments=[dict(method="transfer", amount_vnd=100000), dict(method="transfer", amount_vnd=150000)]))
    assert response.status_code == 422
    assert "Chỉ một lần chuyển khoản" in response.json["message"]
    assert client.get("/api/v1/sales").json["sales"] == []


def test_the_printed_slip_has_the_booth_header_the_stamp_code_and_the_transfer_reference(app, client, shop, printer):
    from pos.extensions import db
    from pos.models import Booth, Product

    with app.app_context():
        booth = db.session.query(Booth).one()
        booth.organisation, booth.phone, booth.tax_code = "HTX Thảo mộc Tuệ Lâm", "0203 3878 123", "5701234567"
        db.session.get(Product, shop["pid"]).stamp_code = "BL-MO-250"
        db.session.commit()
    _set_printer(client, f"tcp://127.0.0.1:{printer.port}")
    sale = client.post("/api/v1/sales", headers={"Idempotency-Key": "k-slip"}, json=dict(
        till_id=shop["till_id"], lines=[dict(product_id=shop["pid"], qty=1, stamp_code="BL-MO-250")],
        payments=[dict(method="transfer", amount_vnd=250000)])).json
    print_pending(app)
    lines = [line.strip() for line in decoded(printer.received).split("\n")]
    assert "HTX Thảo mộc Tuệ Lâm" in lines and "ĐT: 0203 3878 123" in lines and "MST: 5701234567" in lines
    assert "Tem: BL-MO-250" in lines
    assert f"Mã giao dịch: {sale['payments'][0]['reference']}" in lines


def test_the_prebill_carries_the_booth_header_and_the_vietqr(app, client, shop, printer):
    from pos.extensions import db
    from pos.models import Booth
    from tests.unit.printing.support import read_stream

    with app.app_context():
        booth = db.session.query(Booth).one()
        booth.organisation, booth.tax_code = "HTX Thảo mộc Tuệ Lâm", "5701234567"
        db.session.commit()
    _set_printer(client, f"tcp://127.0.0.1:{printer.port}")
    job = client.post("/api/v1/prebill", json=dict(till_id=shop["till_id"], idempotency_key="k-pre",
                                                   lines=[dict(product_id=shop["pid"], qty=1)]))
    assert job.status_code == 201, job.json
    print_pending(app)
    stream = read_stream(bytes(printer.received), TCVN3_PAGES)
    lines = [line.strip() for line in stream.text.split("\n")]
    assert "PHIẾU TẠM TÍNH" in lines and "HTX Thảo mộc Tuệ Lâm" in lines and "MST: 5701234567" in lines
    assert stream.qr_payloads and b"250000" in stream.qr_payloads[0]
