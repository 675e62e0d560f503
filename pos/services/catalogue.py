"""Producers and their products: the catalogue a booth sells from."""
from __future__ import annotations

import json
import re
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..db import get_row, required_row
from ..errors import Duplicate, DuplicateBarcode, InvalidInput, N_, NotFound, UnknownProduct
from ..models import PRODUCER_KINDS, UNITS, Barcode, Product, Producer
from ..models.product import has_search_index
from ..text import fold, sort_column_key, vi_sorted
from . import audit, audit_log, labels, sales_summary
from . import validate as v

# No single OCOP product at a fair costs more than this; a bigger price is a typo.
MAX_PRICE_VND = 100_000_000
_BARCODE = re.compile(r"^[0-9A-Za-z-]{3,64}$")


def save_producer(session, data: dict, producer: Producer | None = None) -> Producer:
    """Create or update a producer. Raises InvalidInput."""
    kind = v.text(data, "kind", max_len=16)
    if kind not in PRODUCER_KINDS:
        raise InvalidInput("kind", "Loại chủ thể không hợp lệ")
    producer = producer or Producer()
    producer.name = v.text(data, "name")
    producer.kind = kind
    for field in ("province", "district", "commune"):
        setattr(producer, field, v.text(data, field, required=False, max_len=100))
    phone = v.text(data, "phone", required=False, max_len=32)
    if phone and not re.fullmatch(r"[0-9 +().-]{6,32}", phone):
        raise InvalidInput("phone", "Số điện thoại không hợp lệ")
    producer.phone = phone
    producer.bank_account = v.text(data, "bank_account", required=False, max_len=100)
    raw_rate = data.get("commission_percent")
    producer.commission_bp = v.percent_bp(data, "commission_percent") if str(raw_rate or "").strip() else None
    if producer.id is None or "is_active" in data:
        producer.is_active = v.boolean(data, "is_active") if producer.id else True
    producer.search_key = fold(producer.name)
    session.add(producer)
    session.flush()
    for product in producer.products:
        product.search_key = _product_key(product.name, producer)
    return producer


def _product_key(name: str, producer: Producer) -> str:
    return fold(f"{name} {producer.name}")


def _barcodes(data: dict) -> list[str]:
    raw = data.get("barcodes") or []
    if isinstance(raw, str):
        raw = re.split(r"[\s,;]+", raw)
    codes = []
    for code in raw:
        code = str(code).strip()
        if not code:
            continue
        if not _BARCODE.match(code):
            raise InvalidInput("barcodes", "Mã vạch %(code)s không hợp lệ (3–64 chữ số hoặc chữ)", code=code)
        # Thirteen digits is an EAN-13 to every scanner: a wrong last digit is a typing slip, and a
        # label printed from it would never scan.
        if code.isdigit() and len(code) == 13 and not labels.is_ean13(code):
            raise InvalidInput("barcodes", "Mã vạch %(code)s sai số kiểm tra EAN-13 (chữ số cuối phải là %(digit)s)",
                               code=code, digit=labels.check_digit(code[:12]))
        if code not in codes:
            codes.append(code)
    return codes


def save_product(session, data: dict, product: Product | None = None, *, actor=None,
                 address: str | None = None) -> Product:
    """Create or update a product with its barcodes. Raises InvalidInput, DuplicateBarcode, NotFound.

    A changed price is audited ("product.price", old and new) as done by actor (default: the logged-in user).
    """
    producer = session.get(Producer, v.integer(data, "producer_id", minimum=1))
    if producer is None:
        raise NotFound("Không tìm thấy chủ thể", field="producer_id")
    name = v.text(data, "name")
    unit = v.text(data, "unit", max_len=20)
    price = v.money(data, "price_vnd")
    if price > MAX_PRICE_VND:
        raise InvalidInput("price_vnd", "Giá quá lớn (tối đa %(max)s đồng)", max="100.000.000")
    stars = v.integer(data, "ocop_stars", minimum=3, maximum=5, required=False)
    stamp = v.text(data, "stamp_code", required=False, max_len=100) or None
    if stamp:
        other = session.scalars(select(Product).where(Product.stamp_code == stamp)).first()
        if other is not None and other is not product:
            raise Duplicate("Mã tem %(code)s đã dùng cho %(product)s", field="stamp_code", code=stamp, product=other.name)
    codes = _barcodes(data)
    for code in codes:
        other = session.scalars(select(Barcode).where(Barcode.code == code)).first()
        if other is not None and other.product is not product:
            raise DuplicateBarcode(code=code, product=other.product.name)
        if stamp and code == stamp:
            continue
    old_price = product.price_vnd if product is not None and product.id is not None else None
    old_producer_id = product.producer_id if product is not None and product.id is not None else None
    product = product or Product()
    product.producer = producer
    product.name, product.unit, product.price_vnd = name, unit, price
    product.ocop_stars = stars
    product.category = v.text(data, "category", required=False, max_len=100)
    product.stamp_code = stamp
    if product.id is None or "is_active" in data:
        product.is_active = v.boolean(data, "is_active") if product.id else True
    product.search_key = _product_key(name, producer)
    product.sort_key = sort_column_key(name)
    existing = {b.code: b for b in product.barcodes}
    product.barcodes = [existing.get(c) or Barcode(code=c) for c in codes]
    session.add(product)
    session.flush()
    if old_producer_id is not None and old_producer_id != producer.id:
        # The dashboard counts each producer's sales through its products: both producers' counts move.
        sales_summary.rebuild_producer_counts(session, [old_producer_id, producer.id])
    if old_price is not None and old_price != price:
        actor, address = audit_log.actor_and_address(actor, address)
        audit.record(session, actor, "product.price", product.name, address=address, product_id=product.id,
                     old_vnd=old_price, new_vnd=price)
    return product


def get_product(session, product_id) -> Product:
    """Raises UnknownProduct."""
    product = get_row(session, Product, product_id)
    if product is None:
        raise UnknownProduct(code=product_id)
    return product


def get_producer(session, producer_id) -> Producer:
    return required_row(session, Producer, producer_id, N_("Không tìm thấy chủ thể"))


def list_producers(session, *, active_only=False) -> list[Producer]:
    stmt = select(Producer)
    if active_only:
        stmt = stmt.where(Producer.is_active)
    return vi_sorted(session.scalars(stmt), key=lambda p: p.name)


PAGE_SIZE = 50  # what a till shows for a search; the next page is asked for with offset
# Up to this many products matching the long words through the trigram index, the page is cut from
# them (a look-up, then a sort of at most this many rows); beyond it the words are common and the
# walk along the sort index fills a page quickly.
INDEXED_CANDIDATES = 300


def search_products(session, query: str = "", *, producer_id=None, active_only=True, limit=None,
                    offset=0) -> list[Product]:
    """Products whose name or producer contains every word typed, diacritics ignored.

    "mien dong" finds "Miến dong Bình Liêu"; "dau so" finds "Dầu sở". Sorted in
    Vietnamese alphabetical order by the database (product.sort_key), so limit/offset cut a
    page without loading every match; each product comes with its producer and barcodes.

    On SQLite the words of three letters or more are first looked up in the trigram index
    (product_search, an exact substring match of search_key, as LIKE is): when they narrow the
    catalogue to at most INDEXED_CANDIDATES products, only those are read and sorted. Otherwise
    (short or common words, PostgreSQL, no index) the database walks ix_product_sort_search in
    order and tests each product's search_key with LIKE. Both give the same products in the same
    order.
    """
    stmt = select(Product).options(joinedload(Product.producer), selectinload(Product.barcodes))
    return list(session.scalars(_searched(session, stmt, query, producer_id, active_only, limit, offset)))


class Listed(NamedTuple):
    """A product as a page of search results shows it: plain values, read without making records."""

    id: int
    uuid: str
    name: str
    unit: str
    price_vnd: int
    ocop_stars: int | None
    category: str
    stamp_code: str | None
    is_active: bool
    producer: ProducerName
    barcode_list: list[str]


class ProducerName(NamedTuple):
    id: int
    name: str


_LISTED_COLUMNS = (Product.id, Product.uuid, Product.name, Product.unit, Product.price_vnd, Product.ocop_stars,
                   Product.category, Product.stamp_code, Product.is_active, Producer.id, Producer.name)


def search_listing(session, query: str = "", *, producer_id=None, active_only=True, limit=None,
                   offset=0) -> list[Listed]:
    """What search_products finds, in the same order, as plain values (Listed): for the search as
    you type, where a page of 50 made as records cost twice the search itself."""
    # The walk in order reads the index alone (sort key, is_active, search key, id): the page's rows
    # are read after it, for its ids only.
    page = _searched(session, select(Product.id), query, producer_id, active_only, limit, offset)
    rows = session.execute(select(*_LISTED_COLUMNS).join(Producer, Producer.id == Product.producer_id)
                           .where(Product.id.in_(page)).order_by(*_order(session))).all()
    codes: dict[int, list[str]] = {row[0]: [] for row in rows}
    if codes:
        for product_id, code in session.execute(select(Barcode.product_id, Barcode.code)
                                                .where(Barcode.product_id.in_(list(codes))).order_by(Barcode.id)):
            codes[product_id].append(code)
    return [Listed(*row[:9], producer=ProducerName(row[9], row[10]), barcode_list=codes[row[0]]) for row in rows]


def _searched(session, stmt, query: str, producer_id, active_only: bool, limit, offset):
    """stmt (over Product) narrowed to the products matching every word of query, in Vietnamese order."""
    if active_only:
        stmt = stmt.where(Product.is_active)
    if producer_id:
        stmt = stmt.where(Product.producer_id == int(producer_id))
    words = fold(query).split()
    candidates = _indexed_candidates(session, words)
    if candidates is not None:
        # The index matched every long word exactly (a substring of search_key): only the short ones
        # are left to test, on these few products.
        stmt = stmt.where(Product.id.in_(select(func.json_each(candidates).table_valued("value").c.value)))
        words = [w for w in words if len(w) < 3]
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Product.search_key.like(f"%{escaped}%", escape="\\"))
    stmt = stmt.order_by(*_order(session))
    if offset:
        stmt = stmt.offset(int(offset))
    if limit:
        stmt = stmt.limit(int(limit))
    return stmt


def _order(session) -> tuple:
    """Vietnamese alphabetical order (product.sort_key), then the id."""
    if session.get_bind().dialect.name == "postgresql":
        return Product.sort_key.collate("C"), Product.id  # byte order, as on SQLite: the key is built for it
    return Product.sort_key, Product.id


def _indexed_candidates(session, words: list[str]) -> str | None:
    """The ids of the products whose search_key holds every word of 3+ letters, from the trigram
    index, as a JSON list, when there are at most INDEXED_CANDIDATES of them; None when the index
    cannot help (no such word, too many matches, PostgreSQL, a SQLite without the index)."""
    long_words = [w for w in words if len(w) >= 3]
    if not long_words:
        return None
    connection = session.connection()
    if not has_search_index(connection):
        return None
    # Each word as an FTS5 string (a run of trigrams, i.e. a substring), all of them required. FTS5
    # walks its lists in id order, so the LIMIT stops it early when the words are common.
    match = " AND ".join('"' + w.replace('"', '""') + '"' for w in long_words)
    # Straight through the driver (same connection, same transaction): this look-up runs before every
    # such search, and SQLAlchemy's result handling cost twice the query itself.
    raw = connection.connection.driver_connection
    ids = [row[0] for row in raw.execute("SELECT rowid FROM product_search WHERE product_search MATCH ? LIMIT ?",
                                         (match, INDEXED_CANDIDATES + 1))]
    return json.dumps(ids) if len(ids) <= INDEXED_CANDIDATES else None


def find_by_code(session, code: str) -> tuple[Product, str | None]:
    """The product a scanned code names: a barcode, or a traceability stamp's code or URL.

    Returns (product, stamp code or None). A stamp QR often holds a URL such as
    https://…/truy-xuat?code=BL-MD-0001: the product is found when the URL's
    text contains a registered stamp code. Raises UnknownProduct.
    """
    code = (code or "").strip()
    if not code:
        raise UnknownProduct(code="")
    barcode = session.scalars(select(Barcode).where(Barcode.code == code)).first()
    if barcode is not None:
        return barcode.product, None
    product = session.scalars(select(Product).where(Product.stamp_code == code)).first()
    if product is not None:
        return product, code
    if len(code) > 6:
        # A URL or longer text: any registered stamp code among its parts, found by the unique index.
        tokens = {t for t in re.split(r"[/?&=#:\s]+", code) if t}
        if tokens:
            product = session.scalars(select(Product).where(Product.stamp_code.in_(sorted(tokens)))
                                      .order_by(Product.id)).first()
            if product is not None:
                return product, code
    raise UnknownProduct(code=code[:64])


def units() -> tuple[str, ...]:
    return UNITS
