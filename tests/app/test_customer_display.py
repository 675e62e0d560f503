"""The customer display: paired with one till by a code or a link, it shows that till's cart and nothing else."""
import re

import pytest

from tests.conftest import login


@pytest.fixture
def two_tills(app, world, client):
    from pos.extensions import db
    from pos.models import Booth, Till
    from pos.services import booths

    world.booth()
    world.user("cashier", username="thungan")
    with app.app_context():
        booth = db.session.query(Booth).one()
        booths.save_till(db.session, booth, dict(code="T2", name="Quầy 2"))
        db.session.commit()
        ids = {t.code: t.id for t in db.session.query(Till)}
    login(client, "thungan")
    return ids


def _pairing(app, till_id):
    from pos.extensions import db
    from pos.models import Till
    from pos.services import display

    with app.app_context():
        till = db.session.get(Till, till_id)
        secret = app.config["SECRET_KEY"]
        return display.pairing_code(secret, till), display.display_token(secret, till)


def _push(client, till_id, **state):
    response = client.post(f"/api/v1/display/tills/{till_id}/state", json=state)
    assert response.status_code == 200, response.json
    return response.json["version"]


def test_a_display_paired_by_code_shows_its_till_cart_and_nothing_of_another_till(app, client, two_tills):
    code, token = _pairing(app, two_tills["T1"])
    _push(client, two_tills["T1"], phase="cart", lines=[{"name": "Miến dong Bình Liêu 500g", "qty": 2, "total_vnd": 120000}],
          total_vnd=120000)
    _push(client, two_tills["T2"], phase="cart", lines=[{"name": "Mật ong rừng", "qty": 1, "total_vnd": 250000}],
          total_vnd=250000)

    display = app.test_client()  # the customer's tablet: nobody logged in on it
    wrong = display.post("/display", data={"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 422 and "Mã ghép nối không đúng" in wrong.get_data(as_text=True)
    paired = display.post("/display", data={"code": code})
    assert paired.status_code == 302 and paired.headers["Location"].endswith(f"/display/{token}")
    page = display.get(f"/display/{token}").get_data(as_text=True)
    assert "Xin chào quý khách!" in page

    state = display.get(f"/api/v1/display/{token}/state").json
    assert state["phase"] == "cart" and state["total_vnd"] == 120000
    assert [line["name"] for line in state["lines"]] == ["Miến dong Bình Liêu 500g"]
    assert "Mật ong" not in str(state)
    assert display.get("/api/v1/display/not-a-token/state").status_code == 404


def test_the_transfer_qr_is_drawn_by_the_server_and_the_change_follows_the_sale(app, client, two_tills):
    _, token = _pairing(app, two_tills["T1"])
    first = _push(client, two_tills["T1"], phase="transfer", total_vnd=95000,
                  lines=[{"name": "Tinh dầu quế", "qty": 1, "total_vnd": 95000}],
                  qr={"payload": "00020101021238570010A000000727", "amount_vnd": 95000, "reference": "B07T1K3F9QZ"})
    state = app.test_client().get(f"/api/v1/display/{token}/state").json
    assert state["version"] == first and state["phase"] == "transfer"
    assert state["qr"]["svg"].startswith("<svg") and state["qr"]["amount_vnd"] == 95000
    _push(client, two_tills["T1"], phase="done", paid={"total_vnd": 95000, "change_vnd": 5000, "cash": True})
    state = app.test_client().get(f"/api/v1/display/{token}/state").json
    assert state["phase"] == "done" and state["paid"] == {"total_vnd": 95000, "change_vnd": 5000, "cash": True}
    assert state["version"] == first + 1


def test_a_malformed_display_state_is_refused_naming_the_field(client, two_tills):
    response = client.post(f"/api/v1/display/tills/{two_tills['T1']}/state",
                           json={"phase": "cart", "lines": [{"name": "x", "qty": 1.5, "total_vnd": 1}]})
    assert response.status_code == 422 and re.match(r"lines\[0\]\.qty", response.json["field"])


def test_only_staff_write_a_display_state(app, two_tills):
    anonymous = app.test_client()
    response = anonymous.post(f"/api/v1/display/tills/{two_tills['T1']}/state", json={"phase": "idle"})
    assert response.status_code == 401


def test_guessing_pairing_codes_from_one_device_is_slowed_and_the_right_code_waits_too(app, client, two_tills):
    code, _token = _pairing(app, two_tills["T1"])
    wrong = "000000" if code != "000000" else "111111"
    guesser = app.test_client()
    answers = [guesser.post("/display", data={"code": wrong}).status_code for _ in range(5)]
    assert answers[:3] == [422, 422, 422]  # a typo or two costs nothing
    assert 429 in answers[3:]  # then the device waits, as for a password
    waiting = guesser.post("/display", data={"code": code})
    assert waiting.status_code == 429 and "chờ" in waiting.get_data(as_text=True)  # not paired while waiting
    other = app.test_client()  # the booth's tablet, another device
    assert other.post("/display", data={"code": code}, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 302
