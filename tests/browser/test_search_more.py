"""A search with more than a page of answers: the sell screen offers the rest, in Vietnamese order."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import serve_demo
from tests.browser.test_sell import cart_line, open_sell_screen
from tests.conftest import copy_demo

pytestmark = pytest.mark.browser
EXTRA = 70  # with the demo's own, more than the 50 a page holds


@pytest.fixture
def demo_with_many_products(tmp_path, demo_template):
    """The demo booth with EXTRA more "Trà túi lọc" products of one of its producers."""
    from pos import create_app
    from pos.config import TestConfig
    from pos.db import unit_of_work
    from pos.extensions import db
    from pos.models import Producer
    from pos.services import catalogue

    path = copy_demo(demo_template, tmp_path / "instance")
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        with unit_of_work(db.session) as s:
            producer = s.query(Producer).order_by(Producer.id).first()
            made = [catalogue.save_product(s, dict(producer_id=producer.id, name=f"Trà túi lọc số {i:03d}",
                                                   unit="gói", price_vnd=20_000 + i)) for i in range(EXTRA)]
        with unit_of_work(db.session) as s:  # ten of each received, so they can be sold
            from pos.models import Booth, User
            from pos.services import stock

            booth = s.query(Booth).order_by(Booth.id).first()
            manager = s.query(User).filter_by(role="manager").order_by(User.id).first()
            stock.record_document(s, booth, manager, stock.NewDocument.of(
                "receive", producer_id=producer.id, lines=[dict(product_id=p.id, qty=10) for p in made]))
        db.engine.dispose()
    with serve_demo(tmp_path / "instance") as url:
        yield url


def test_the_sell_screen_offers_more_when_a_search_finds_more_than_a_page(page, demo_with_many_products):
    open_sell_screen(page, demo_with_many_products)
    page.locator("#search").fill("tra tui loc")
    tiles = page.locator("#tiles .tile")
    expect(tiles).to_have_count(50)
    expect(page.locator("#tiles-title")).to_contain_text("50+")
    expect(tiles.first).to_contain_text("Trà túi lọc số 000")
    more = page.locator("#more-results")
    expect(more).to_be_visible()
    more.click()
    expect(tiles).to_have_count(EXTRA)
    expect(page.locator("#more-results")).to_have_count(0)  # the whole answer is shown: nothing more to ask
    expect(page.locator("#tiles-title")).to_contain_text(f"({EXTRA})")
    expect(tiles.nth(EXTRA - 1)).to_contain_text(f"Trà túi lọc số {EXTRA - 1:03d}")
    # A tile of the second page sells like any other.
    tiles.filter(has_text="Trà túi lọc số 065").click()
    expect(cart_line(page, "Trà túi lọc số 065")).to_be_visible()
