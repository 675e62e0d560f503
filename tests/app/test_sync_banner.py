"""Every staff page of a booth says how many records the hub does not have yet."""
import re

from tests.conftest import login


def test_every_staff_page_shows_the_records_not_yet_on_the_hub(client, world):
    world.product(stock=5)  # a consignment receipt: a document and a movement, not yet pushed
    world.user("manager", username="quanly")
    login(client, "quanly")
    for url in ("/stock", "/products", "/setup/booth"):
        page = client.get(url).get_data(as_text=True)
        found = re.search(r"(\d+) bản ghi chưa gửi hub", page)
        assert found and int(found.group(1)) >= 2, url


def test_a_producer_sees_no_sync_banner(client, world):
    producer_id = world.producer()
    world.product(producer_id=producer_id, stock=5)
    world.user("producer", username="tuelam", producer_id=producer_id)
    login(client, "tuelam")
    assert "chưa gửi hub" not in client.get("/stock").get_data(as_text=True)


def test_a_cashier_who_cannot_push_sees_no_sync_badge_but_the_manager_does(client, world):
    world.product(stock=5)
    world.user("cashier", username="thungan")
    world.user("manager", username="quanly")
    login(client, "thungan")
    assert "chưa gửi hub" not in client.get("/stock").get_data(as_text=True)
    client.post("/logout")
    login(client, "quanly")
    assert "chưa gửi hub" in client.get("/stock").get_data(as_text=True)


def test_the_sell_screen_flash_names_the_till_once(app, client, world):
    from pos.extensions import db
    from pos.services import booths

    world.booth()
    world.user("cashier", username="thungan")
    with app.app_context():
        booth = booths.current_booth(db.session)
        till = booths.save_till(db.session, booth, dict(code="T2", name="Quầy 2"))  # no shift open on it
        db.session.commit()
        till_id = till.id
    login(client, "thungan")
    client.set_cookie("pos_till", str(till_id))
    page = client.get("/sell", follow_redirects=True).get_data(as_text=True)
    assert "Quầy 2 chưa mở ca" in page and "Quầy Quầy" not in page
