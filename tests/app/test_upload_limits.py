"""Uploads never hold the write lock: a zip bomb posted as a bank statement is refused while another
till's sale goes through, and binary junk posted as CSV gets a message, not a crash."""
import io
import random
import threading

from sqlalchemy import func, select

from pos.extensions import db
from pos.models import Producer
from pos.models.bank import BankStatement
from tests.conftest import login
from tests.spreadsheets import cell_bomb

JUNK = random.Random(5).randbytes(3000)


def _post_file(client, url, data, filename, **form):
    return client.post(url, data=dict(form, file=(io.BytesIO(data), filename)), content_type="multipart/form-data")


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_zip_bomb_statement_is_refused_while_another_till_sells(app, world):
    from pos.models import Till

    pid = world.product(price_vnd=95_000, stock=40)
    world.user("cashier", username="thungan")
    world.user("manager", username="quanly")
    with app.app_context():
        till_id = db.session.query(Till).filter_by(code="T1").one().id
    manager, cashier = app.test_client(), app.test_client()
    login(manager, "quanly")
    login(cashier, "thungan")

    bomb = cell_bomb()  # a million cells in a zip of well under 200 KB
    answers = {}
    upload = threading.Thread(target=lambda: answers.update(
        bomb=_post_file(manager, "/bank/import", bomb, "SaoKe_VCB.xlsx", bank="vietcombank")))
    upload.start()
    # The till keeps selling for as long as the upload is in flight (and once more after).
    made = []
    while len(made) < 30:
        in_flight = upload.is_alive()
        made.append(cashier.post("/api/v1/sales", headers={"Idempotency-Key": f"during-upload-{len(made)}"}, json=dict(
            till_id=till_id, lines=[dict(product_id=pid, qty=1)],
            payments=[dict(method="cash", tendered_vnd=100_000)])))
        if not in_flight:
            break
    upload.join(timeout=300)
    assert not upload.is_alive()

    assert [r.status_code for r in made] == [201] * len(made), [r.get_json() for r in made if r.status_code != 201]
    refused = answers["bomb"]
    assert refused.status_code == 422
    assert "quá nhiều ô" in refused.get_data(as_text=True)
    assert _count(app, BankStatement) == 0
    assert world.on_hand(pid) == 40 - len(made)


def test_the_bank_api_refuses_a_zip_bomb_with_json(app, world, client):
    world.user("manager", username="quanly")
    login(client, "quanly")
    response = _post_file(client, "/api/v1/bank/statements", cell_bomb(), "SaoKe.xlsx")
    assert response.status_code == 422
    assert response.json["field"] == "file" and "quá nhiều ô" in response.json["message"]


def test_binary_junk_posted_as_a_csv_statement_is_a_clear_refusal(app, world, client):
    world.user("manager", username="quanly")
    login(client, "quanly")
    page = _post_file(client, "/bank/import", JUNK, "SaoKe.csv")
    assert page.status_code == 422
    assert "Không đọc được tệp CSV" in page.get_data(as_text=True)
    api = _post_file(client, "/api/v1/bank/statements", b"Ngay,So tien\x00\x00\x01\x02", "SaoKe.csv")
    assert api.status_code == 422 and "nhị phân" in api.json["message"]
    assert _count(app, BankStatement) == 0


def test_the_catalogue_import_refuses_a_bomb_and_junk_and_still_imports_a_good_sheet(app, world, client):
    world.booth()
    world.user("organiser", username="btc")
    login(client, "btc")
    before = _count(app, Producer)
    bomb = _post_file(client, "/reports/import", cell_bomb(), "chu-the.xlsx", kind="producers")
    assert bomb.status_code == 422 and "quá nhiều ô" in bomb.get_data(as_text=True)
    junk = _post_file(client, "/reports/import", JUNK, "chu-the.csv", kind="producers", action="check")
    assert junk.status_code == 422 and "Không đọc được tệp CSV" in junk.get_data(as_text=True)
    assert _count(app, Producer) == before
    good = "Tên chủ thể,Loại hình,Huyện\nHTX Miến dong Đồng Tâm,HTX,Bình Liêu\n".encode()
    done = _post_file(client, "/reports/import", good, "chu-the.csv", kind="producers")
    assert done.status_code == 200 and "Đã nhập 1 dòng" in done.get_data(as_text=True)
    assert _count(app, Producer) == before + 1
