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
