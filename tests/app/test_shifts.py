"""Cash shifts through the pages, the JSON API and the CLI, as a booth uses them."""
import re

import pytest

from tests.conftest import login


@pytest.fixture
def t1(app, world):
    from pos.extensions import db
    from pos.models import Till

    world.booth()
    with app.app_context():
        return db.session.query(Till).filter_by(code="T1").one().id


def _t1_shift(client, t1):
    return client.get(f"/api/v1/shifts/current?till_id={t1}").json


def _sell(client, till_id, product_id, qty=1, key="k1", payments=None):
    return client.post("/api/v1/sales", headers={"Idempotency-Key": key}, json=dict(
        till_id=till_id, lines=[dict(product_id=product_id, qty=qty)],
        payments=payments or [dict(method="cash", tendered_vnd=500_000)]))


def _new_till(client, code="T2"):
    assert client.post("/setup/tills", data=dict(code=code, name=f"Quầy {code}")).status_code == 302
    html = client.get("/shifts").get_data(as_text=True)
    return int(re.search(rf"<b>{code}</b>.*?/shifts/tills/(\d+)", html, re.S).group(1))


def test_the_sell_screen_sends_a_till_without_an_open_shift_to_open_one_first(client, world, t1):
    world.user("manager", username="quanly")
    login(client, "quanly")
    shift = _t1_shift(client, t1)
    assert client.post(f"/api/v1/shifts/{shift['id']}/close", json={"counts": {}}).status_code == 200
    client.post("/sell/till", data={"till_id": t1})
    response = client.get("/sell")
    assert response.status_code == 302 and response.location.endswith(f"/shifts/tills/{t1}")
    page = client.get(response.location).get_data(as_text=True)
    assert "chưa mở ca" in page and "Tiền đầu ca" in page
    opened = client.post(f"/shifts/tills/{t1}/open", data={"opening_float_vnd": "1.000.000"})
    assert opened.status_code == 302 and opened.location.endswith("/sell")
    assert client.get("/sell").status_code == 200
    current = _t1_shift(client, t1)
    assert (current["number"], current["opening_float_vnd"], current["opened_by"]) == (2, 1_000_000, "quanly")


def test_a_checkout_at_a_till_with_no_open_shift_is_refused_and_nothing_is_sold(client, world, t1):
    pid = world.product(stock=5)
    world.user("manager", username="quanly")
    login(client, "quanly")
    client.post(f"/api/v1/shifts/{_t1_shift(client, t1)['id']}/close", json={"counts": {}})
    response = _sell(client, t1, pid)
    assert response.status_code == 409
    assert response.json["error"] == "NoOpenShift" and response.json["field"] == "till_id"
    assert "T1" in response.json["message"] and "mở ca" in response.json["message"]
    assert world.on_hand(pid) == 5 and client.get("/api/v1/sales").json["sales"] == []
    assert client.get(f"/api/v1/shifts/current?till_id={t1}").status_code == 409


def test_a_shift_day_on_the_pages_open_cash_in_sell_check_the_count_close_and_read_the_z_report(client, world, t1):
    pid = world.product(name="Mật ong rừng Bình Liêu", price_vnd=250_000, stock=10)
    world.user("manager", username="quanly")
    login(client, "quanly")
    t2 = _new_till(client)
    assert "Chưa mở ca" in client.get("/shifts").get_data(as_text=True)
    assert client.post(f"/shifts/tills/{t2}/open", data={"opening_float_vnd": "500.000"}).status_code == 302
    shift_id = _t1_shift(client, t2)["id"]

    bad = client.post(f"/shifts/{shift_id}/cash", data={"kind": "in", "amount_vnd": "abc", "reason": "Mua tiền lẻ"})
    assert bad.status_code == 422 and "Số tiền phải là số nguyên" in bad.get_data(as_text=True)
    assert client.post(f"/shifts/{shift_id}/cash", data={"kind": "in", "amount_vnd": "200.000",
                                                          "reason": "Mua tiền lẻ"}).status_code == 302
    assert client.post(f"/shifts/{shift_id}/cash", data={"kind": "out", "amount_vnd": "100.000",
                                                          "reason": "Trả hộ ông Lục"}).status_code == 302
    assert _sell(client, t2, pid, qty=2, key="a", payments=[dict(method="cash", tendered_vnd=500_000)]).status_code == 201
    assert _sell(client, t2, pid, qty=1, key="b",
                 payments=[dict(method="transfer", amount_vnd=250_000)]).status_code == 201
    expected = 500_000 + 200_000 - 100_000 + 500_000  # the transfer stays out of the drawer

    till_page = client.get(f"/shifts/tills/{t2}").get_data(as_text=True)
    assert "X20-B07-T2-000001" in till_page and "Trả hộ ông Lục" in till_page
    x_page = client.get(f"/shifts/{shift_id}").get_data(as_text=True)
    assert "BÁO CÁO TẠM (X)" in x_page and "1.100.000 ₫" in x_page

    counts = {"count-500000": "2", "count-50000": "1", "count-20000": "2"}  # 1.090.000: 10.000 missing
    check = client.post(f"/shifts/{shift_id}/close", data=dict(counts, action="check"))
    assert check.status_code == 200 and "Thiếu" in check.get_data(as_text=True)
    assert client.get(f"/api/v1/shifts/{shift_id}").json["is_open"]  # checking is not closing
    bad_count = client.post(f"/shifts/{shift_id}/close", data={"count-500000": "-2", "action": "close"})
    assert bad_count.status_code == 422 and client.get(f"/api/v1/shifts/{shift_id}").json["is_open"]
    closed = client.post(f"/shifts/{shift_id}/close", data=dict(counts, action="close", note="Thiếu 10.000"))
    assert closed.status_code == 302 and closed.location.endswith(f"/shifts/{shift_id}")

    z = client.get(f"/api/v1/shifts/{shift_id}").json
    assert (z["expected_cash_vnd"], z["counted_cash_vnd"], z["difference_vnd"]) == (expected, 1_090_000, -10_000)
    assert z["z_report"]["payments"] == {"cash": 500_000, "transfer": 250_000, "card": 0}
    page = client.get(f"/shifts/{shift_id}").get_data(as_text=True)
    assert "BÁO CÁO CHỐT CA (Z)" in page and "-10.000 ₫" in page and "Thiếu" in page
    assert "Thu ngân" in page and "Trưởng gian hàng" in page and "Ký, ghi rõ họ tên" in page
    assert "slip-text" in page and client.get(f"/shifts/{shift_id}?paper=slip").status_code == 200
    assert "1.090.000 ₫" in client.get("/shifts").get_data(as_text=True)


def test_the_shift_api_refuses_a_second_open_shift_a_bad_count_and_unknown_fields(client, world, t1):
    world.user("manager", username="quanly")
    login(client, "quanly")
    again = client.post("/api/v1/shifts", json={"till_id": t1, "opening_float_vnd": 0})
    assert again.status_code == 409 and again.json["error"] == "ShiftAlreadyOpen" and again.json["field"] == "till_id"
    shift_id = _t1_shift(client, t1)["id"]
    odd = client.post(f"/api/v1/shifts/{shift_id}/close", json={"counts": {"300000": 1}})
    assert odd.status_code == 422 and odd.json["field"] == "counts.300000"
    extra = client.post(f"/api/v1/shifts/{shift_id}/close", json={"counts": {}, "expected_cash_vnd": 0})
    assert extra.status_code == 422 and extra.json["field"] == "expected_cash_vnd"
    cash = client.post(f"/api/v1/shifts/{shift_id}/cash", json={"kind": "out", "amount_vnd": 50_000, "reason": ""})
    assert cash.status_code == 422 and cash.json["field"] == "reason"
    x = client.get(f"/api/v1/shifts/{shift_id}/x-report").json
    assert x["kind"] == "X" and x["expected_cash_vnd"] == 0 and x["cash_movements"] == []
    assert client.get(f"/api/v1/shifts/{shift_id}").json["is_open"]


def test_a_cashier_opens_and_closes_their_own_shift_but_not_a_colleagues(client, world, t1):
    world.user("cashier", username="thungan")
    login(client, "thungan")
    colleague = _t1_shift(client, t1)  # opened by the account ca.t1
    refused = client.post(f"/api/v1/shifts/{colleague['id']}/close", json={"counts": {"100000": 1}})
    assert refused.status_code == 403 and refused.json["error"] == "Forbidden"
    assert "người mở ca" in refused.json["message"]
    assert client.get(f"/api/v1/shifts/{colleague['id']}").json["is_open"]

    client.post("/logout")
    world.user("manager", username="quanly")
    login(client, "quanly")
    assert client.post(f"/api/v1/shifts/{colleague['id']}/close", json={"counts": {}}).status_code == 200
    client.post("/logout")
    login(client, "thungan")
    mine = client.post("/api/v1/shifts", json={"till_id": t1, "opening_float_vnd": 300_000})
    assert mine.status_code == 201 and mine.json["number"] == 2
    closed = client.post(f"/api/v1/shifts/{mine.json['id']}/close", json={"counts": {"200000": 1, "100000": 1}})
    assert closed.status_code == 200 and closed.json["difference_vnd"] == 0


def test_a_producer_sees_no_shift_page_or_api(client, world, t1):
    producer_id = world.producer()
    world.user("producer", username="tuelam", producer_id=producer_id)
    login(client, "tuelam")
    assert client.get("/shifts").status_code == 403
    assert client.get(f"/api/v1/shifts/current?till_id={t1}").status_code == 403


def test_pos_shift_report_prints_the_x_report_as_the_printer_lays_it_out(app, world, t1):
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["shift", "list"])
    assert listing.exit_code == 0 and "T1" in listing.output and "đang mở" in listing.output
    shift_id = int(re.search(r"#(\d+)", listing.output).group(1))
    report = runner.invoke(args=["shift", "report", str(shift_id), "--columns", "32"])
    assert report.exit_code == 0 and "BÁO CÁO TẠM (X)" in report.output
    assert all(len(line) <= 32 for line in report.output.splitlines())
    missing = runner.invoke(args=["shift", "report", "999"])
    assert missing.exit_code != 0 and "Không tìm thấy ca" in missing.output


def test_a_restored_laptops_shifts_read_with_their_series_and_are_never_taken_for_the_main_ones(
        app, client, world, t1):
    """After a restore the database numbers in a series of its own (services/numbering): its shift
    after the main series' shift 1 is R….-2 on every page, slip, list and answer, not a second "2"."""
    from pos.db import unit_of_work
    from pos.extensions import db
    from pos.services import numbering

    world.user("manager", username="quanly")
    with app.app_context(), unit_of_work(db.session) as s:
        series = numbering.start_series(s)  # what `pos restore` does
    assert re.fullmatch(r"R[0-9A-F]{4}", series)
    login(client, "quanly")
    first = _t1_shift(client, t1)
    assert (first["number"], first["label"]) == (1, "1")  # opened before the restore, in the main series
    counts = {"count-500000": "0", "action": "close"}
    assert client.post(f"/shifts/{first['id']}/close", data=counts).status_code == 302
    opened = client.post(f"/shifts/tills/{t1}/open", data={"opening_float_vnd": "0"}, follow_redirects=True)
    assert f"Đã mở ca {series}-2" in opened.get_data(as_text=True)
    second = _t1_shift(client, t1)
    assert (second["number"], second["label"]) == (2, f"{series}-2")
    assert f"<td>{series}-2</td>" in client.get("/shifts").get_data(as_text=True)
    assert f"Ca {series}-2" in client.get(f"/shifts/tills/{t1}").get_data(as_text=True)
    closed = client.post(f"/shifts/{second['id']}/close", data=counts, follow_redirects=True)
    assert f"Đã đóng ca {series}-2" in closed.get_data(as_text=True)
    z = client.get(f"/shifts/{second['id']}?paper=slip").get_data(as_text=True)
    assert f"{series}-2" in z
    listing = app.test_cli_runner().invoke(args=["shift", "list"])
    assert f"ca {series}-2" in listing.output
