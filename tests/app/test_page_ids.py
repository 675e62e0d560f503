"""An id typed or tampered into a page's address never reaches the database as something it cannot hold.

The JSON API checks its query strings with schemas; the HTML pages read their filter ids with
forms.arg_id. Past 2^63, or not digits at all, an id names no row: the page answers 404, never 500.
"""
import pytest

from tests.conftest import login

HUGE = "99999999999999999999"  # 10^20 - 1: past SQLite's and PostgreSQL's 64-bit integers

STAFF_PAGES = [
    "/stock?producer_id={v}", "/stock/receive?producer_id={v}", "/products?producer_id={v}",
    "/shifts?till_id={v}", "/audit?before={v}", "/reports/dashboard?booth_id={v}",
    "/reports/dashboard?compare={v}",
]
PRODUCER_PAGES = ["/portal/sales?fair_id={v}", "/portal/sales/list?fair_id={v}", "/portal/invoices?fair_id={v}"]


@pytest.fixture
def staffed(world):
    world.user("organiser", username="btc")
    producer = world.producer()
    world.product(producer_id=producer, stock=2)
    world.user("producer", username="tuelam", producer_id=producer)
    return world


@pytest.mark.parametrize("value", [HUGE, "1.5", "abc", "-3"])
@pytest.mark.parametrize("page", STAFF_PAGES)
def test_a_staff_page_given_an_impossible_id_answers_not_found(client, staffed, page, value):
    login(client, "btc")
    assert client.get(page.format(v=value)).status_code == 404


@pytest.mark.parametrize("value", [HUGE, "x"])
@pytest.mark.parametrize("page", PRODUCER_PAGES)
def test_a_producer_page_given_an_impossible_id_answers_not_found(client, staffed, page, value):
    login(client, "tuelam")
    assert client.get(page.format(v=value)).status_code == 404


def test_a_page_without_the_filter_still_opens(client, staffed):
    login(client, "btc")
    for page in STAFF_PAGES:
        url = page.split("?")[0]
        assert client.get(url).status_code == 200, url


def test_a_huge_page_number_shows_the_first_page(client, staffed):
    login(client, "btc")
    assert client.get(f"/reports/dashboard/sales?page={HUGE}").status_code == 200


def test_the_sell_screens_stock_poll_skips_ids_no_row_can_have(client, world):
    world.user("cashier", username="thungan")
    que = world.product(stock=2)
    login(client, "thungan")
    response = client.get(f"/sell/on-hand?ids={que},{HUGE},x,-1")
    assert response.status_code == 200
    assert response.json["on_hand"] == {str(que): 2}
