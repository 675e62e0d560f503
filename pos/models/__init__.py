"""The data model. Importing this package registers every table on db.metadata."""
from .audit import AuditEntry
from .bank import BankCredit, BankStatement
from .display import TillDisplay
from .fair import Booth, Fair, Till
from .identity import DbIdentity
from .printjob import JOB_KINDS, JOB_STATUSES, PrinterSetting, PrintJob
from .producer import PRODUCER_KINDS, Producer
from .producer_payment import PAYOUT_METHODS, ProducerPayment
from .product import UNITS, Barcode, Product
from .refund import Refund, RefundLine, Void
from .security import DbRestore
from .sale import PAYMENT_METHODS, ParkedCart, Payment, Sale, SaleLine
from .shift import CASH_MOVEMENT_KINDS, CashMovement, Shift
from .sync import BoothSyncState, HubBooth, IngestState, SyncConflict, SyncCursor, SyncHub
from .summary import HourlyProducerSaleCount, HourlySaleCount, HourlySales
from .stock import DOCUMENT_KINDS, DOCUMENT_PREFIX, MOVEMENT_KINDS, StockDocument, StockMovement
from .user import ROLES, User

__all__ = [
    "BoothSyncState", "HubBooth", "IngestState", "SyncConflict", "SyncCursor", "SyncHub",
    "BankCredit", "BankStatement", "DbRestore",
    "HourlyProducerSaleCount", "HourlySaleCount", "HourlySales",
    "AuditEntry", "CASH_MOVEMENT_KINDS", "CashMovement", "Refund", "RefundLine", "Shift", "Void",
    "Barcode", "Booth", "JOB_KINDS", "JOB_STATUSES", "PrinterSetting", "PrintJob", "DbIdentity", "DOCUMENT_KINDS", "DOCUMENT_PREFIX", "Fair", "MOVEMENT_KINDS",
    "PAYMENT_METHODS", "ParkedCart", "Payment", "PRODUCER_KINDS", "Producer", "Product", "ROLES",
    "PAYOUT_METHODS", "ProducerPayment",
    "Sale", "SaleLine", "StockDocument", "StockMovement", "Till", "TillDisplay", "UNITS", "User",
]
