from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import N_
from ..extensions import db
from ..timeutil import utcnow

JOB_STATUSES = {"pending": N_("Đang chờ in"), "printing": N_("Đang in"), "done": N_("Đã in"),
                "sent": N_("Đã gửi, máy in không xác nhận"),
                "failed": N_("In lỗi"), "dismissed": N_("Đã bỏ qua")}
JOB_KINDS = {"receipt": N_("Phiếu thanh toán"), "reprint": N_("In lại phiếu"), "prebill": N_("Phiếu tạm tính"),
             "report": N_("Báo cáo ca, phiếu hủy hoặc hoàn tiền")}


class PrinterSetting(db.Model):
    """The booth's receipt printer as the manager set it (overrides PRINTER_* in the config)."""

    __tablename__ = "printer_setting"
    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), nullable=False, unique=True)
    values: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # JSON of PrinterSettings fields
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)


class PrintJob(db.Model):
    """A slip to print, recorded after its sale committed: a printer fault never touches the sale.

    Booth-local: print jobs do not travel to the hub.
    """

    __tablename__ = "print_job"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sale.id"), index=True)
    payload: Mapped[str] = mapped_column(Text, nullable=False, default="")  # JSON: a pre-bill's data or a report's slip
    open_drawer: Mapped[bool] = mapped_column(nullable=False, default=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    printed_at: Mapped[datetime | None]

    sale = relationship("Sale")
    __table_args__ = (
        CheckConstraint("kind IN ('receipt', 'reprint', 'prebill', 'report')", name="kind"),
        CheckConstraint("status IN ('pending', 'printing', 'done', 'sent', 'failed', 'dismissed')", name="status"),
    )

    @property
    def status_label(self) -> str:
        return JOB_STATUSES[self.status]

    @property
    def kind_label(self) -> str:
        return JOB_KINDS[self.kind]
