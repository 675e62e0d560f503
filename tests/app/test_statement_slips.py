"""Settlement statements on the booth's receipt printer: queued from the statement page, the statements list
and the closing page, printed by the worker, refused to producers and cashiers, and explained without a printer."""
from __future__ import annotations

import re

from pos.extensions import db
from pos.models import PrintJob
from pos.workers import print_pending
from tests.app.test_print_queue import _set_printer, decoded, printer  # noqa: F401 - printer is a fixture
from tests.app.test_reports import fair  # noqa: F401 - a fixture
from tests.conftest import login


def _statement(app, producer_id):
    from pos.services import booths
    from pos.services.reporting import settlement

    with app.app_context():
        return settlement.statement(db.session, booths.current_booth(db.session), producer_id)


def _jobs(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(j.kind, j.status) for j in db.session.query(PrintJob).order_by(PrintJob.id)]


def _amount(lines, label) -> int:
    line = next(x for x in lines if x.startswith(label))
    return int(re.search(r"([\d.]+) đ$", line).group(1).replace(".", ""))


def test_the_statement_page_prints_on_the_receipt_printer_and_the_worker_sends_it(app, client, fair, printer):
    login(client, "quanly")
    _set_printer(client, f"tcp://127.0.0.1:{printer.port}")  # 58 mm, TCVN-3
    page = client.get(f"/reports/settlements/{fair['tl']}").get_data(as_text=True)
    assert 'id="print-slip"' in page and "In trên máy in phiếu" in page
    response = client.post(f"/reports/settlements/{fair['tl']}/slip")
    assert response.status_code == 302 and response.location.endswith(f"/reports/settlements/{fair['tl']}")
    assert "Đã gửi bảng quyết toán của HTX Thảo mộc Tuệ Lâm ra máy in phiếu." in \
        client.get(response.location).get_data(as_text=True)
    assert _jobs(app) == [("report", "pending")]
    assert print_pending(app) == 1
    assert _jobs(app) == [("report", "done")]
    lines = decoded(printer.received).split("\n")
    st = _statement(app, fair["tl"])
    assert st.net_vnd == 3 * 95_000 - 5000  # the sales of the fixture, by hand
    assert "1. Tinh dầu quế 10ml (chai)" in lines and "Chủ thể: HTX Thảo mộc Tuệ Lâm" in lines
    totals = lines[lines.index("=" * 32):]
    assert _amount(totals, "Doanh thu thuần") == st.net_vnd
    assert _amount(totals, "Hoa hồng") == st.commission_vnd
    assert _amount(totals, "Số tiền trả chủ thể") == st.payable_vnd
    assert [x.strip() for x in lines if "Đại diện chủ thể" in x or "Trưởng gian hàng" in x] == \
        ["Đại diện chủ thể", "Trưởng gian hàng"]
    assert max(len(x) for x in lines) <= 32
    # A statement printed for signature, as the closing page counts it.
    closing = client.get("/reports/closing").get_data(as_text=True)
    row = re.search(r"<tr><td>HTX Thảo mộc Tuệ Lâm</td>(.*?)</tr>", closing, re.S).group(1)
    assert "chưa in" not in row


def test_print_all_queues_one_slip_per_producer_from_the_list_and_from_the_closing_page(app, client, fair, printer):
    login(client, "quanly")
    _set_printer(client, f"tcp://127.0.0.1:{printer.port}")
    assert 'id="print-all-slips"' in client.get("/reports/settlements").get_data(as_text=True)
    response = client.post("/reports/settlements/slips")
    assert response.status_code == 302 and response.location.endswith("/reports/settlements")
    assert "Đã gửi bảng quyết toán của mọi chủ thể ra máy in phiếu." in \
        client.get(response.location).get_data(as_text=True)
    assert print_pending(app) == 2
    text = decoded(printer.received)
    assert text.count("BẢNG QUYẾT TOÁN HÀNG KÝ GỬI") == 2
    assert "Chủ thể: HTX Miến dong Đồng Tâm" in text and "Chủ thể: HTX Thảo mộc Tuệ Lâm" in text
    closing = client.get("/reports/closing").get_data(as_text=True)
    assert 'id="print-all-slips"' in closing and "chưa in" not in closing
    again = client.post("/reports/settlements/slips", data={"back": "closing"})
    assert again.status_code == 302 and again.location.endswith("/reports/closing")
    assert len(_jobs(app)) == 4


def test_without_a_printer_nothing_is_queued_and_the_page_says_why(app, client, fair):
    login(client, "quanly")
    for url in (f"/reports/settlements/{fair['tl']}/slip", "/reports/settlements/slips"):
        page = client.post(url, follow_redirects=True).get_data(as_text=True)
        assert "gian hàng chưa cài máy in phiếu (Cài đặt → Máy in)" in page, url
    assert _jobs(app) == []
    assert "chưa in" in client.get("/reports/closing").get_data(as_text=True)  # nothing counted as printed


def test_producers_and_cashiers_cannot_print_statements(app, client, world, fair, printer):
    world.user("producer", username="mien", producer_id=fair["md"])
    login(client, "quanly")
    _set_printer(client, f"tcp://127.0.0.1:{printer.port}")
    client.post("/logout")
    for user in ("mien", "ca.t1"):
        login(client, user)
        for url in (f"/reports/settlements/{fair['tl']}/slip", f"/reports/settlements/{fair['md']}/slip",
                    "/reports/settlements/slips"):
            assert client.post(url).status_code == 403, (user, url)
        assert client.get(f"/reports/settlements/{fair['tl']}").status_code == 403
        client.post("/logout")
    assert _jobs(app) == []
    # The producer's own portal shows its own statement, and no other producer's booth.
    login(client, "mien")
    own = client.get("/portal").get_data(as_text=True)
    assert "HTX Thảo mộc Tuệ Lâm" not in own and "In trên máy in phiếu" not in own


def test_an_unknown_producer_is_404_and_queues_nothing(app, client, fair, printer):
    login(client, "quanly")
    _set_printer(client, f"tcp://127.0.0.1:{printer.port}")
    assert client.post("/reports/settlements/9999/slip").status_code == 404
    assert _jobs(app) == []
