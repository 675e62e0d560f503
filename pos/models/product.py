from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import HasUuid

UNITS = ("chai", "hũ", "gói", "hộp", "lọ", "túi", "kg", "cái", "bó", "thùng")


class Product(HasUuid, db.Model):
    """A producer's product as the booth sells it, at one price in đồng."""

    __tablename__ = "product"
    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    unit: Mapped[str] = mapped_column(String(20), nullable=False, default="chai")
    price_vnd: Mapped[int] = mapped_column(Integer, nullable=False)
    ocop_stars: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    # The code on the product's traceability stamp (tem truy xuất nguồn gốc).
    stamp_code: Mapped[str | None] = mapped_column(String(100), unique=True)
    is_active: Mapped[bool] = mapped_column(nullable=False, default=True)
    # Name and producer without diacritics: "mien dong" finds "Miến dong".
    search_key: Mapped[str] = mapped_column(String(400), nullable=False, default="", index=True)
    # The name's Vietnamese alphabetical order as plain ASCII (text.sort_column_key): searches are
    # sorted and cut to a page by the database, walking ix_product_sort_search, not in Python.
    sort_key: Mapped[str] = mapped_column(String(320), nullable=False, default="")

    producer: Mapped["Producer"] = relationship(back_populates="products")  # noqa: F821
    barcodes: Mapped[list["Barcode"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Barcode.id"
    )
    __table_args__ = (
        # In order, and covering the search's filter: a word that matches nothing reads the index
        # alone (30 ms over 20,000 products here, 166 ms through a sort_key-only index).
        Index("ix_product_sort_search", "sort_key", "is_active", "search_key"),
        CheckConstraint("price_vnd >= 0", name="price_nonneg"),
        CheckConstraint("ocop_stars IS NULL OR ocop_stars BETWEEN 3 AND 5", name="stars_range"),
    )

    @property
    def barcode_list(self) -> list[str]:
        return [b.code for b in self.barcodes]


class Barcode(db.Model):
    """One of a product's barcodes (a product may carry an EAN-13 and a booth's own label)."""

    __tablename__ = "barcode"
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)

    product: Mapped[Product] = relationship(back_populates="barcodes")
