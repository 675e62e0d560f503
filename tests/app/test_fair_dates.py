"""Selling outside the fair's dates is warned about on the sell screen (never refused), and the
dashboard's day chart marks the days outside the fair."""
from datetime import date, timedelta

from pos.extensions import db
from pos.timeutil import local_today
from tests.app.test_reports import fair, sell  # noqa: F401 - the reports' fixture: sales on 10/01 and 11/01/2020
from tests.conftest import login


def _fair_dates(app, starts_on, ends_on):
    from pos.models import Fair

    with app.app_context():
        fair_row = db.session.query(Fair).one()
        fair_row.starts_on, fair_row.ends_on = starts_on, ends_on
        db.session.commit()


def _sell_screen(app, client):
    from pos.models import Till

    with app.app_context():
        till_id = db.session.query(Till).filter_by(code="T1").one().id
    client.set_cookie("pos_till", str(till_id))
    page = client.get("/sell")
    assert page.status_code == 200, page.headers.get("Location")
    return page.get_data(as_text=True)


def test_selling_after_the_fair_ended_shows_a_banner_and_still_sells(app, client, world):
    world.booth()
    login(client, "ca.t1")
    today = local_today()
    _fair_dates(app, today - timedelta(days=10), today - timedelta(days=3))
    html = _sell_screen(app, client)
    assert 'id="fair-dates-banner"' in html
    assert f"Hôm nay {today:%d/%m/%Y} nằm ngoài ngày của" in html and "Vẫn bán được" in html
    assert 'id="pay-cash"' in html  # the screen is there to sell

    _fair_dates(app, today - timedelta(days=1), today + timedelta(days=2))  # extended: no banner
    assert 'id="fair-dates-banner"' not in _sell_screen(app, client)


def test_the_day_chart_stars_the_days_outside_the_fair(app, client, fair):  # noqa: F811
    _fair_dates(app, date(2020, 1, 11), date(2020, 1, 20))  # the sale of 10/01 came the day before
    login(client, "btc")
    html = client.get("/reports/dashboard").get_data(as_text=True)
    assert "Doanh thu theo ngày (* ngoài ngày hội chợ)" in html
    assert ">10/01*</text>" in html and ">11/01</text>" in html
