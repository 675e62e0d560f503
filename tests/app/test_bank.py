"""The manager's bank statement page and API: upload, follow-up lists, matching by hand, refusals."""
import io

import openpyxl
import pytest

from pos.extensions import db
from tests.conftest import World, login


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _statement(lines) -> bytes:
    return _xlsx([["SAO KÊ TÀI KHOẢN / STATEMENT OF ACCOUNT"], ["Số tài khoản/Account number:", "0141000345678"], [],
                  ["STT", "Ngày GD/ TNX Date", "Số CT/ Doc No", "Số tiền ghi nợ/ Debit", "Số tiền ghi có/ Credit",
                   "Số dư/ Balance", "Nội dung chi tiết/ Transactions in detail"]]
                 + [[i + 1, day, f"5243.{i}", "", amount, "", text] for i, (day, amount, text) in enumerate(lines)])


def _till_id(app):
    from pos.models import Till

    with app.app_context():
        return db.session.query(Till).filter_by(code="T1").one().id


def _transfer_sale(client, till_id, product_id, key, amount=95000):
    response = client.post("/api/v1/sales", headers={"Idempotency-Key": key}, json=dict(
        till_id=till_id, lines=[dict(product_id=product_id, qty=amount // 95000)],
        payments=[dict(method="transfer", amount_vnd=amount)]))
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def sold(app, world, client):
    """Two transfer sales made by the cashier, then the manager logged in."""
    pid = world.product(price_vnd=95000, stock=20)
    world.user("cashier", username="thungan")
    world.user("manager", username="quanly")
    login(client, "thungan")
    till = _till_id(app)
    first = _transfer_sale(client, till, pid, "s1")
    second = _transfer_sale(client, till, pid, "s2", amount=190000)
    client.post("/logout")
    login(client, "quanly")
    return first, second


def _upload(client, data, url="/bank/import", filename="SaoKe.xlsx", **form):
    return client.post(url, data=dict(form, file=(io.BytesIO(data), filename)), content_type="multipart/form-data")


def test_the_manager_uploads_a_statement_and_sees_what_matched_and_what_to_follow_up(client, sold):
    first, second = sold
    ref1 = first["payments"][0]["reference"]
    response = _upload(client, _statement([("15/01/2020", "95.000", f"MBVCB.4525077405.{ref1}.CT tu 0351000646393"),
                                           ("15/01/2020", "300.000", "CT DEN:998877 ung ho gian hang")]),
                       bank="vietcombank")
    assert response.status_code == 302 and "/bank/statements/" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert first["receipt_no"] in page and "300.000 ₫" in page
    follow_up = client.get("/bank").get_data(as_text=True)
    assert "CT DEN:998877 ung ho gian hang" in follow_up  # money no sale explains
    assert second["payments"][0]["reference"] in follow_up  # a transfer the bank has not shown yet
    entries = client.get("/api/v1/audit/entries?action=bank.import").json["entries"]
    assert entries[0]["username"] == "quanly" and entries[0]["details"]["matched"] == 1


def test_the_same_statement_uploaded_again_adds_nothing(client, sold):
    data = _statement([("15/01/2020", "95.000", sold[0]["payments"][0]["reference"])])
    assert _upload(client, data).status_code == 302
    again = _upload(client, data, filename="SaoKe (1).xlsx")
    assert again.status_code == 302
    assert "đã được nhập trước đây" in client.get(again.location).get_data(as_text=True)
    rec = client.get("/api/v1/bank/reconciliation").json
    assert len(rec["matched"]) == 1 and rec["unmatched_credits"] == []


def test_a_statement_with_bad_rows_is_refused_with_each_row_named_and_nothing_imported(client, sold):
    response = _upload(client, _statement([("15/01/2020", "95.000", "ok"), ("15/01/2020", "chín lăm nghìn", "x")]))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Dòng 6: số tiền ghi có “chín lăm nghìn” không phải số tiền" in page
    assert "chưa nhập gì" in page
    assert client.get("/api/v1/bank/reconciliation").json["unmatched_credits"] == []


def test_the_api_imports_and_refuses_with_json_naming_rows_and_fields(client, sold):
    ok = _upload(client, _statement([("15/01/2020", "190.000", "IBFT " + sold[1]["payments"][0]["reference"])]),
                 url="/api/v1/bank/statements")
    assert ok.status_code == 201 and (ok.json["new"], ok.json["matched"]) == (1, 1)
    assert _upload(client, _statement([("15/01/2020", "190.000", "IBFT")]), url="/api/v1/bank/statements",
                   filename="other.xlsx").json["matched"] == 0
    bad = _upload(client, _statement([("99/99/2020", "1", "x")]), url="/api/v1/bank/statements", filename="b.xlsx")
    assert bad.status_code == 422 and bad.json["error"] == "StatementRejected"
    assert bad.json["problems"] == ["Dòng 5: ngày giao dịch “99/99/2020” không đọc được (cần dd/mm/yyyy)"]
    unknown = _upload(client, b"x", url="/api/v1/bank/statements", surprise="1")
    assert unknown.status_code == 422 and unknown.json["field"] == "surprise"
    missing = client.post("/api/v1/bank/statements", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422 and missing.json["field"] == "file"


def test_a_credit_is_matched_by_hand_with_a_reason_and_audited(client, sold):
    _upload(client, _statement([("15/01/2020", "95.000", "khach ghi nham")]))
    rec = client.get("/api/v1/bank/reconciliation").json
    credit_id = rec["unmatched_credits"][0]["id"]
    payment = next(p for p in rec["unmatched_payments"] if p["amount_vnd"] == 95000)
    refused = client.post(f"/bank/credits/{credit_id}/match", data={"payment_id": payment["id"], "note": ""})
    assert refused.status_code == 422 and "lý do" in refused.get_data(as_text=True)
    done = client.post(f"/bank/credits/{credit_id}/match", data={"payment_id": payment["id"], "note": "Khách gọi xác nhận"})
    assert done.status_code == 302
    rec = client.get("/api/v1/bank/reconciliation").json
    assert rec["matched"][0]["receipt_no"] == payment["receipt_no"] and rec["matched"][0]["matched_by_hand"]
    audit = client.get("/api/v1/audit/entries?action=bank.match").json["entries"][0]
    assert audit["target"] == payment["receipt_no"] and audit["details"]["note"] == "Khách gọi xác nhận"


def test_a_cashier_cannot_see_or_import_bank_statements(client, world):
    world.user("cashier", username="thungan")
    login(client, "thungan")
    assert client.get("/bank").status_code == 403
    assert _upload(client, b"x").status_code == 403
    assert client.get("/api/v1/bank/reconciliation").status_code == 403


def test_matching_works_the_same_on_postgresql(any_app):
    w = World(any_app)
    pid = w.product(price_vnd=95000, stock=5)
    w.user("cashier", username="thungan")
    w.user("manager", username="quanly")
    client = any_app.test_client()
    login(client, "thungan")
    sale = _transfer_sale(client, _till_id(any_app), pid, "pg1")
    client.post("/logout")
    login(client, "quanly")
    ref = sale["payments"][0]["reference"]
    # The same bytes twice: openpyxl stamps the second a workbook is written, so a rebuilt file may differ.
    data = _statement([("15/01/2020", "95.000", f"MBVCB.1.{ref.lower()}")])
    response = _upload(client, data, url="/api/v1/bank/statements")
    assert response.status_code == 201 and response.json["matched"] == 1
    again = _upload(client, data, url="/api/v1/bank/statements")
    assert again.status_code == 200 and again.json["already_imported"]


def test_the_demo_booth_offers_a_sample_statement_that_matches_its_transfers(app, client, sold):
    from pos.models import DbIdentity

    assert client.get("/bank/sample.xlsx").status_code == 404  # a real booth never gets made-up money
    with app.app_context():
        db.session.query(DbIdentity).one().is_demo = True
        db.session.commit()
    sample = client.get("/bank/sample.xlsx")
    assert sample.status_code == 200 and sample.data.startswith(b"PK")
    imported = _upload(client, sample.data, url="/api/v1/bank/statements", filename="sao-ke-mau-vcb.xlsx")
    assert (imported.json["new"], imported.json["matched"], imported.json["debits_skipped"]) == (3, 2, 1)
    rec = client.get("/api/v1/bank/reconciliation").json
    assert rec["unmatched_payments"] == [] and [c["amount_vnd"] for c in rec["unmatched_credits"]] == [150000]


def test_pos_bank_import_reads_a_statement_from_the_command_line(app, sold, tmp_path):
    import subprocess
    import sys

    env = {"POS_INSTANCE_PATH": str(tmp_path / "instance"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "POS_DATABASE_URL": f"sqlite:///{tmp_path / 'pos.sqlite'}"}
    good, bad = tmp_path / "SaoKe.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(_statement([("15/01/2020", "95.000", "MBVCB.1." + sold[0]["payments"][0]["reference"])]))
    bad.write_bytes(_statement([("15/01/2020", "9 5 . 0 0 0 đồng", "x")]))

    def pos(*args):
        return subprocess.run([sys.executable, "-m", "pos.cli", "bank-import", *args], capture_output=True,
                              text=True, env=env, timeout=120)

    ok = pos(str(good), "--user", "quanly", "--bank", "vietcombank")
    assert ok.returncode == 0, ok.stderr
    assert "Đã nhập 1 khoản tiền vào" in ok.stdout and "khớp thêm 1 đơn" in ok.stdout
    assert "1 đơn chuyển khoản (190.000 ₫)" in ok.stdout
    refused = pos(str(bad), "--user", "quanly")
    assert refused.returncode != 0 and "Dòng 5: số tiền ghi có" in refused.stderr
    assert pos(str(good), "--user", "thungan").returncode != 0  # a cashier does not import statements
