"""A hub and booths, each its own create_app() on its own database, built through the real services.

Imported by the other test_sync_* modules; its own tests check the helpers themselves.
"""
from __future__ import annotations

import itertools
import uuid

import pytest
from sqlalchemy import func, select

from pos import create_app
from pos.config import TestConfig
from pos.db import unit_of_work
from pos.extensions import db
from pos.services.sync import booth as sync_booth, hub as sync_hub, wire as sync_wire

_keys = itertools.count(1)


def make_app(url, tmp_path, name):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url})
    app.instance_path = str(tmp_path / f"instance-{name}")
    with app.app_context():
        db.create_all()
    return app


def dispose(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class Hub:
    """The organiser's hub: a fair, booths with tills and staff, a catalogue."""

    def __init__(self, app):
        self.app = app
        with app.app_context(), unit_of_work(db.session) as s:
            from pos.services import booths, users

            booths.init_database(s)
            sync_hub.make_hub(s, "Sở Công Thương Quảng Ninh")
            fair = booths.save_fair(s, dict(code="X20", name="Hội chợ OCOP Quảng Ninh – Xuân 2020"))
            self.fair_id = fair.id
            users.save_user(s, dict(username="btc", full_name="Ban tổ chức", role="organiser",
                                    password="matkhau123", pin="1357"))
        self.products: dict[str, str] = {}  # name -> uuid

    def booth(self, code="B07", name="Gian hàng Bình Liêu"):
        from pos.services import booths, users

        with self.app.app_context(), unit_of_work(db.session) as s:
            from pos.models import Fair

            booth = booths.save_booth(s, dict(fair_id=self.fair_id, code=code, name=name, bank_bin="970405",
                                              bank_account="8002205012345"))
            booths.save_till(s, booth, dict(code="T1", name="Quầy 1"))
            low = code.lower()
            users.save_user(s, dict(username=f"ql.{low}", full_name=f"Quản lý {code}", role="manager",
                                    password="matkhau123", pin="2468"), booth_id=booth.id)
            users.save_user(s, dict(username=f"tn.{low}", full_name=f"Thu ngân {code}", role="cashier",
                                    password="matkhau123"), booth_id=booth.id)
            assert s.get(Fair, self.fair_id)
            return booth.id

    def product(self, name, price_vnd, producer="HTX Thảo mộc Tuệ Lâm", barcode=None):
        from pos.models import Producer
        from pos.services import catalogue

        with self.app.app_context(), unit_of_work(db.session) as s:
            prod = s.scalars(select(Producer).where(Producer.name == producer)).first()
            if prod is None:
                prod = catalogue.save_producer(s, dict(name=producer, kind="htx", district="Bình Liêu"))
            p = catalogue.save_product(s, dict(producer_id=prod.id, name=name, unit="lọ", price_vnd=price_vnd,
                                               barcodes=[barcode] if barcode else []))
            self.products[name] = p.uuid
            return p.uuid

    def set_price(self, name, price_vnd):
        from pos.models import Product
        from pos.services import catalogue

        with self.app.app_context(), unit_of_work(db.session) as s:
            p = s.scalars(select(Product).where(Product.uuid == self.products[name])).one()
            catalogue.save_product(s, dict(producer_id=p.producer_id, name=p.name, unit=p.unit, price_vnd=price_vnd,
                                           barcodes=p.barcode_list), p)

    def credentials(self, booth_id, new_key=False):
        from pos.models import Booth

        with self.app.app_context(), unit_of_work(db.session) as s:
            creds = sync_hub.issue_token(s, s.get(Booth, booth_id), new_key=new_key)
            return creds.token, creds.signing_key

    def transport(self, token):
        return client_transport(self.app, token)

    def totals(self, booth_id):
        with self.app.app_context():
            return sync_wire.booth_totals(db.session, booth_id)

    def booth_uuid(self, booth_id):
        from pos.models import Booth

        with self.app.app_context():
            return db.session.get(Booth, booth_id).uuid

    def count(self, model, **where):
        with self.app.app_context():
            stmt = select(func.count()).select_from(model)
            for k, v in where.items():
                stmt = stmt.where(getattr(model, k) == v)
            return db.session.scalar(stmt)

    def status(self, booth_id):
        from pos.models import Booth

        with self.app.app_context():
            s = sync_hub.booth_status(db.session, db.session.get(Booth, booth_id))
            return dict(records=s.records, duplicates=s.duplicates, gaps=s.gaps, conflicts=s.conflict_count,
                        clock_skew_s=s.clock_skew_s, clock_warning=s.clock_warning, mismatches=s.mismatches,
                        contiguous=[o.contiguous_seq for o in s.origins])


class HubRefusedInTest(Exception):
    pass


def client_transport(hub_app, token, *, cut_after=None, lose_answer_of=None):
    """A transport through the hub's Flask test client, with the booth's token.

    cut_after=n: the link drops before the (n+1)th request reaches the hub.
    lose_answer_of=n: the (n)th request reaches the hub and is stored, but its answer is lost.
    """
    client = hub_app.test_client()
    calls = {"n": 0}

    def call(method, path, body=None):
        calls["n"] += 1
        if cut_after is not None and calls["n"] > cut_after:
            raise sync_booth.HubUnreachable(why="mất kết nối (thử nghiệm)")
        response = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})
        answer = response.get_json(silent=True) or {}
        if response.status_code >= 500:
            raise sync_booth.HubUnreachable(why=f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise sync_booth.HubRefused(response.status_code, answer.get("error", ""), answer.get("message", ""),
                                        answer.get("field"))
        if lose_answer_of is not None and calls["n"] == lose_answer_of:
            raise sync_booth.HubUnreachable(why="mất kết nối khi chờ trả lời (thử nghiệm)")
        return answer

    call.calls = calls
    return call


class BoothSide:
    """A booth laptop: its own database, provisioned from the hub, selling through the real services."""

    def __init__(self, app):
        self.app = app
        with app.app_context(), unit_of_work(db.session) as s:
            from pos.services import booths

            booths.init_database(s)

    def provision(self, hub: Hub, token, **kwargs):
        with self.app.app_context():
            payload = sync_booth.fetch_provisioning(hub.transport(token))
            with unit_of_work(db.session) as s:
                result = sync_booth.provision(s, payload, hub_url="https://hub.example.vn", token=token,
                                              signing_key=payload.get("signing_key"), **kwargs)
                return {"created": result.created, "updated": result.updated}

    def _ids(self, s):
        from pos.models import Booth, DbIdentity, Till, User

        ident = s.scalars(select(DbIdentity)).one()
        booth = s.get(Booth, ident.booth_id)
        till = s.scalars(select(Till).where(Till.booth_id == booth.id)).first()
        manager = s.scalars(select(User).where(User.booth_id == booth.id, User.role == "manager")).first()
        cashier = s.scalars(select(User).where(User.booth_id == booth.id, User.role == "cashier")).first()
        return booth, till, manager, cashier

    def product_id(self, s, product_uuid):
        from pos.models import Product

        return s.scalars(select(Product.id).where(Product.uuid == product_uuid)).one()

    def open_shift(self):
        from pos.services import shifts

        with self.app.app_context(), unit_of_work(db.session) as s:
            booth, till, manager, cashier = self._ids(s)
            if shifts.current_shift(s, till) is None:
                shifts.open_shift(s, booth, cashier, shifts.NewShift(till_id=till.id, opening_float_vnd=500_000))

    def close_shift(self):
        """Close the till's open shift (cash counted as none); returns its number."""
        from pos.services import shifts

        with self.app.app_context(), unit_of_work(db.session) as s:
            booth, till, manager, cashier = self._ids(s)
            shift = shifts.current_shift(s, till)
            return shifts.close_shift(s, booth, manager, shift.id, shifts.CashCount.of({})).number

    def shift_number(self):
        """The number of the till's open shift (None when closed)."""
        from pos.services import shifts

        with self.app.app_context():
            booth, till, manager, cashier = self._ids(db.session)
            shift = shifts.current_shift(db.session, till)
            return shift.number if shift else None

    def receive(self, qty_by_uuid: dict):
        """Goods received from their producers; returns the documents' numbers."""

        from pos.models import Product
        from pos.services import stock

        with self.app.app_context(), unit_of_work(db.session) as s:
            booth, till, manager, cashier = self._ids(s)
            by_producer: dict[int, list] = {}
            for product_uuid, qty in qty_by_uuid.items():
                p = s.scalars(select(Product).where(Product.uuid == product_uuid)).one()
                by_producer.setdefault(p.producer_id, []).append(dict(product_id=p.id, qty=qty))
            return [stock.record_document(s, booth, manager, stock.NewDocument.of("receive", producer_id=producer_id, lines=lines)).number
                    for producer_id, lines in by_producer.items()]

    def sell(self, qty_by_uuid: dict, *, discount_vnd=0):
        """A cash sale; returns its receipt number."""
        from pos.services import sales

        self.open_shift()
        with self.app.app_context(), unit_of_work(db.session) as s:
            booth, till, manager, cashier = self._ids(s)
            lines = [dict(product_id=self.product_id(s, u), qty=q) for u, q in qty_by_uuid.items()]
            data = dict(till_id=till.id, lines=lines, payments=[dict(method="cash", tendered_vnd=100_000_000)],
                        order_discount_vnd=discount_vnd, manager_pin="2468")
            result = sales.record_sale(s, booth, cashier, sales.Checkout.of(**data), f"key-{uuid.uuid4()}-{next(_keys)}")
            return result.sale.receipt_no

    def void_last_sale(self):
        from pos.models import Sale
        from pos.services import returns

        with self.app.app_context(), unit_of_work(db.session) as s:
            booth, till, manager, cashier = self._ids(s)
            sale = s.scalars(select(Sale).order_by(Sale.id.desc())).first()
            returns.void_sale(s, booth, manager, sale.id, returns.NewVoid(reason="Khách đổi ý", manager_pin="2468"))

    def refund_first_line_of_last_sale(self, qty=1):
        from pos.models import Sale
        from pos.services import returns

        with self.app.app_context(), unit_of_work(db.session) as s:
            booth, till, manager, cashier = self._ids(s)
            sale = s.scalars(select(Sale).order_by(Sale.id.desc())).first()
            returns.refund_sale(s, booth, manager, sale.id, returns.NewRefund.of(
                lines=[dict(sale_line_id=sale.lines[0].id, qty=qty)], reason="Vỡ nắp", method="cash",
                manager_pin="2468", till_id=till.id))

    def push(self, transport, **kwargs):
        with self.app.app_context():
            return sync_booth.push(db.session, transport, **kwargs)

    def unpushed(self):
        with self.app.app_context():
            return sync_booth.unpushed_count(db.session)

    def totals(self):
        """All of this booth's records (not only what the hub acknowledged)."""
        with self.app.app_context():
            booth_id = sync_booth.current_booth_id(db.session)
            return sync_wire.booth_totals(db.session, booth_id)

    def state(self):
        with self.app.app_context():
            st = sync_booth.state(db.session)
            return None if st is None else dict(compare=st.compare, error=st.last_push_error,
                                                skew=st.clock_skew_s, hub_url=st.hub_url)


def hub_and_booth(db_url, tmp_path, *, booth_url=None, products=(("Tinh dầu quế 10ml", 95_000),
                                                                    ("Miến dong Bình Liêu 500g", 60_000))):
    """A hub on db_url with booth B07, and a provisioned booth app (SQLite) with stock of each product."""
    hub = Hub(make_app(db_url, tmp_path, "hub"))
    booth_id = hub.booth()
    for name, price in products:
        hub.product(name, price)
    token, key = hub.credentials(booth_id)
    booth = BoothSide(make_app(booth_url or f"sqlite:///{tmp_path / 'booth.sqlite'}", tmp_path, "booth"))
    booth.provision(hub, token)
    booth.receive({u: 100 for u in hub.products.values()})
    return hub, booth, booth_id, token, key


def test_a_booth_provisioned_from_the_hub_sells_from_the_hubs_catalogue(tmp_path):
    hub, booth, booth_id, token, key = hub_and_booth(f"sqlite:///{tmp_path / 'hub.sqlite'}", tmp_path)
    try:
        que = hub.products["Tinh dầu quế 10ml"]
        receipt = booth.sell({que: 2})
        assert receipt == "X20-B07-T1-000001"
        assert booth.totals()["products"][que] == {"units": 2, "net_vnd": 190_000}
        assert booth.unpushed() > 0
    finally:
        dispose(hub.app)
        dispose(booth.app)


@pytest.fixture
def hub_booth_pair(db_url, tmp_path):
    """(hub, booth, booth_id) from hub_and_booth, both apps' engines disposed after the test."""
    hub, booth, booth_id, _token, _key = hub_and_booth(db_url, tmp_path)
    yield hub, booth, booth_id
    dispose(booth.app)
    dispose(hub.app)
