"""The audit log: who did what, from where; read by managers and organisers, filtered, exported safely."""
import csv
import io

from pos.extensions import db
from pos.models import AuditEntry
from tests.conftest import login


def _entries(client, **args):
    response = client.get("/api/v1/audit/entries", query_string=args)
    assert response.status_code == 200, response.json
    return response.json["entries"]


def test_logins_and_failed_logins_are_recorded_with_the_address(client, world):
    world.user("manager", username="quanly")
    client.post("/login", data={"username": "quanly", "password": "sai"}, environ_base={"REMOTE_ADDR": "192.168.1.23"})
    login(client, "quanly")
    failed, ok = _entries(client, action="auth.login_failed")[0], _entries(client, action="auth.login")[0]
    assert (failed["username"], failed["target"], failed["address"]) == ("", "quanly", "192.168.1.23")
    assert (ok["username"], ok["address"]) == ("quanly", "127.0.0.1")
    page = client.get("/audit").get_data(as_text=True)
    assert "Đăng nhập sai mật khẩu" in page and "192.168.1.23" in page


def test_only_managers_and_organisers_read_the_log(client, world):
    pid = world.producer()
    world.user("cashier", username="thungan")
    world.user("producer", username="tuelam", producer_id=pid)
    world.user("organiser", username="btc")
    for name, allowed in (("thungan", False), ("tuelam", False), ("btc", True)):
        login(client, name)
        for url in ("/audit", "/audit/export.csv", "/api/v1/audit/entries", "/audit/waits", "/audit/backups"):
            assert (client.get(url).status_code == 200) == allowed, (name, url)
        client.post("/logout")


def test_price_changes_counts_settings_and_user_changes_are_audited_with_old_and_new(client, world, app):
    pid = world.product(name="Mật ong rừng", price_vnd=250000, stock=10)
    world.user("manager", username="quanly")
    login(client, "quanly")
    with app.app_context():
        from pos.models import Product

        product = db.session.get(Product, pid)
        form = dict(producer_id=product.producer_id, name=product.name, unit=product.unit, price_vnd="230.000",
                    barcodes=" ".join(product.barcode_list), is_active="1")
    assert client.post(f"/products/{pid}", data=form).status_code == 302
    assert client.post("/api/v1/stock/documents", json={"kind": "count", "reason": "Kiểm kê cuối ngày",
                                                         "lines": [{"product_id": pid, "qty": 8}]}).status_code == 201
    booth_form = dict(code="B07", name="Gian hàng Bình Liêu", cashier_discount_limit_percent="15", low_stock_qty="5",
                      bank_bin="970405", bank_account="8002205012345")
    assert client.post("/setup/booth", data=booth_form).status_code == 302
    assert client.post("/setup/users/new", data=dict(username="thungan2", full_name="Thu ngân 2", role="cashier",
                                                     password="matkhau123")).status_code == 302

    price = _entries(client, action="product.price")[0]
    assert (price["username"], price["target"], price["details"]["old_vnd"], price["details"]["new_vnd"]) == (
        "quanly", "Mật ong rừng", 250000, 230000)
    count = _entries(client, action="stock.count")[0]
    assert count["details"]["lines"] == [{"product": "Mật ong rừng", "expected": 10, "counted": 8, "adjust": -2}]
    booth = _entries(client, action="settings.booth")[0]
    assert booth["username"] == "quanly" and booth["details"]["changes"] == {"cashier_discount_limit_bp": [1000, 1500]}
    user = _entries(client, action="user.save")[0]
    assert (user["username"], user["target"], user["details"]["created"]) == ("quanly", "thungan2", True)
    assert "matkhau123" not in str(user)


def test_the_log_is_filtered_by_action_user_and_days(client, world, app):
    world.user("manager", username="quanly")
    world.user("cashier", username="thungan")
    login(client, "thungan")
    client.post("/logout")
    login(client, "quanly")
    with app.app_context():
        # One login long ago, to fall outside a day filter.
        old = db.session.query(AuditEntry).filter_by(action="auth.login", username="thungan").one()
        from datetime import datetime

        old.at = datetime(2020, 1, 15, 3, 0)  # 10:00 in Vietnam, 15/01/2020
        db.session.commit()
    assert {e["username"] for e in _entries(client, action="auth.login")} == {"quanly", "thungan"}
    assert [e["username"] for e in _entries(client, user="thungan")] == ["thungan"]
    assert [e["username"] for e in _entries(client, **{"from": "15/01/2020", "to": "15/01/2020"})] == ["thungan"]
    assert [e["action"] for e in _entries(client, action="auth", user="quanly")] == ["auth.login"]
    bad = client.get("/audit?from=32/01/2020")
    assert bad.status_code == 422 and "Ngày không hợp lệ" in bad.get_data(as_text=True)
    assert client.get("/api/v1/audit/entries?from=15/01/2020&to=14/01/2020").json["field"] == "to"


def test_the_csv_export_opens_in_excel_and_never_turns_text_into_a_formula(client, world):
    world.user("manager", username="quanly")
    for i, typed in enumerate(("=HYPERLINK(\"http://x\",\"bấm\")", "+1+1", "-2+3", "@SUM(A1)", "thường")):
        # Each from its own address: a fourth failure from one address would have to wait, unrecorded.
        client.post("/login", data={"username": typed, "password": "sai"}, environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
    login(client, "quanly")
    response = client.get("/audit/export.csv?action=auth.login_failed")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Thời gian", "Người dùng", "Hành động"]
    targets = [r[4] for r in rows[1:]]
    assert targets == ["'=hyperlink(\"http://x\",\"bấm\")", "'+1+1", "'-2+3", "'@sum(a1)", "thường"]
    assert all(r[2] == "Đăng nhập sai mật khẩu" for r in rows[1:])
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows[1:] for cell in r)


def test_the_log_pages_on_to_older_entries(client, world, app):
    world.user("manager", username="quanly")
    with app.app_context():
        for i in range(205):
            db.session.add(AuditEntry(username="x", action="test.entry", target=f"t{i}"))
        db.session.commit()
    login(client, "quanly")
    first = client.get("/api/v1/audit/entries?action=test.entry").json
    assert len(first["entries"]) == 200 and first["has_more"]
    rest = client.get(f"/api/v1/audit/entries?action=test.entry&before={first['next_before']}").json
    assert [e["target"] for e in rest["entries"]] == ["t4", "t3", "t2", "t1", "t0"] and not rest["has_more"]
    page = client.get("/audit?action=test.entry").get_data(as_text=True)
    assert "Cũ hơn" in page
