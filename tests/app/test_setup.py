"""Setting up the booth: settings, tills and staff."""
from pos.db import unit_of_work
from pos.extensions import db
from pos.services import booths, users
from tests.conftest import login


def test_a_manager_changes_the_booth_settings(client, world):
    world.user("manager", username="quanly")
    login(client, "quanly")
    response = client.post("/setup/booth", data=dict(code="B07", name="Gian hàng Bình Liêu", bank_bin="970436",
                                                     bank_account="0011001234567", cashier_discount_limit_percent="5",
                                                     low_stock_qty="3", allow_negative_stock="1",
                                                     receipt_footer="Cảm ơn quý khách"))
    assert response.status_code == 302
    page = client.get("/setup/booth").get_data(as_text=True)
    assert 'value="970436"' in page and 'value="5"' in page and "Cảm ơn quý khách" in page
    assert 'name="allow_negative_stock" value="1" checked' in page


def test_the_slip_header_is_set_on_the_booth_settings_page_and_a_bad_tax_code_is_refused(client, world):
    world.user("manager", username="quanly")
    login(client, "quanly")
    header = dict(code="B07", name="Gian hàng Bình Liêu", organisation="HTX Thảo mộc Tuệ Lâm",
                  address="Xã Đồng Văn, Bình Liêu", phone="0203 3878 123")
    bad = client.post("/setup/booth", data=dict(header, tax_code="57012"))
    assert bad.status_code == 422 and "Mã số thuế" in bad.get_data(as_text=True)
    assert client.post("/setup/booth", data=dict(header, tax_code="5701234567")).status_code == 302
    page = client.get("/setup/booth").get_data(as_text=True)
    for value in ("HTX Thảo mộc Tuệ Lâm", "Xã Đồng Văn, Bình Liêu", "0203 3878 123", "5701234567"):
        assert f'value="{value}"' in page


def test_a_bad_bank_bin_is_refused_clearly(client, world):
    world.user("manager", username="quanly")
    login(client, "quanly")
    response = client.post("/setup/booth", data=dict(code="B07", name="Gian hàng", bank_bin="97A4"))
    assert response.status_code == 422
    assert "6 chữ số" in response.get_data(as_text=True)


def test_a_till_gets_its_own_receipt_series(client, world):
    world.user("manager", username="quanly")
    login(client, "quanly")
    assert client.post("/setup/tills", data=dict(code="T2", name="Quầy điện thoại")).status_code == 302
    page = client.get("/setup/tills").get_data(as_text=True)
    assert "X20-B07-T2-000000" in page
    assert client.post("/setup/tills", data=dict(code="T2", name="Trùng")).status_code == 409


def test_a_manager_creates_a_cashier_who_can_then_log_in(client, world):
    world.user("manager", username="quanly")
    login(client, "quanly")
    response = client.post("/setup/users/new", data=dict(username="mai", full_name="Hoàng Thị Mai", role="cashier",
                                                        password="banhang2020", language="vi"))
    assert response.status_code == 302
    client.post("/logout")
    assert client.post("/login", data=dict(username="mai", password="banhang2020")).status_code == 302


def test_short_passwords_and_duplicate_usernames_are_refused(client, world):
    world.user("manager", username="quanly")
    login(client, "quanly")
    short = client.post("/setup/users/new", data=dict(username="mai", full_name="Mai", role="cashier", password="123"))
    assert short.status_code == 422 and "8 ký tự" in short.get_data(as_text=True)
    dup = client.post("/setup/users/new", data=dict(username="quanly", full_name="X", role="cashier", password="12345678"))
    assert dup.status_code == 409


def test_a_manager_cannot_create_an_organiser(client, world):
    world.user("manager", username="quanly")
    login(client, "quanly")
    response = client.post("/setup/users/new", data=dict(username="boss", full_name="B", role="organiser",
                                                        password="12345678"))
    assert response.status_code == 403


def test_a_producer_account_must_name_its_producer(client, world):
    world.user("organiser", username="btc")
    login(client, "btc")
    response = client.post("/setup/users/new", data=dict(username="tuelam", full_name="Tuệ Lâm", role="producer",
                                                        password="12345678"))
    assert response.status_code == 422


def test_english_is_available_and_vietnamese_is_the_default(client, world):
    world.user("manager", username="quanly")
    login(client, "quanly")
    assert "Tồn kho theo chủ thể" in client.get("/stock").get_data(as_text=True)
    client.post("/language", data={"lang": "en"})
    page = client.get("/stock").get_data(as_text=True)
    assert "Stock by producer" in page and "Tồn kho theo chủ thể" not in page


def test_before_the_booth_is_set_up_a_manager_is_sent_to_set_it_up_and_the_api_says_why(app, client):
    with app.app_context(), unit_of_work(db.session) as s:
        booths.init_database(s)  # a fresh laptop: the database, no booth yet
        users.save_user(s, dict(username="quanly", full_name="Trưởng gian hàng", role="manager",
                                password="matkhau123", pin="2468"), booth_id=None)
        users.save_user(s, dict(username="thungan", full_name="Thu ngân", role="cashier",
                                password="matkhau123"), booth_id=None)
    login(client, "quanly")
    for page in ("/stock", "/bank", "/setup/tills"):
        response = client.get(page)
        assert response.status_code == 302 and response.headers["Location"].endswith("/setup/booth"), page
    answer = client.get("/api/v1/sales")
    assert answer.status_code == 404 and answer.json["message"] == "Gian hàng chưa được cài đặt"
    login(client, "thungan")
    assert client.get("/sell").status_code == 404
