"""Receipt printing: slips laid out once, printed as an image, as Vietnamese code page text or as ASCII.

    layout.py    Slip and its blocks; lay_out() for text modes and previews
    receipt.py   ReceiptData -> build_receipt() / build_prebill() -> Slip
    render.py    Slip -> ESC/POS bytes (slip_to_bytes), preview_png, preview_text
    device.py    deliver() / send_bytes() to the printer named by one URL setting, print_test_page()
    settings.py  PrinterSettings, parse_printer_url()
    charsets.py  TCVN-3 / CP1258 / ASCII encoders (no python-escpos magic encoding)
    image.py     drawing a slip with the bundled DejaVu Sans

Nothing here needs Flask, a database or an app; the caller passes a
PrinterSettings built from its config. Typical use, after the sale is committed:

    data = ReceiptData(...)                       # copied from the sale
    job = slip_to_bytes(build_receipt(data), settings, open_drawer=True)
    deliver(job, settings)   # asks the printer before and after; raises PrinterUnavailable: queue and retry
"""
from .device import Delivery, deliver, open_printer, print_test_page, send_bytes
from .errors import PrinterConfigError, PrinterUnavailable, PrintingError
from .layout import Slip, lay_out
from .receipt import ReceiptData, ReceiptLine, ReceiptPayment, build_prebill, build_receipt
from .render import preview_png, preview_text, render_image, slip_to_bytes
from .settings import PrinterSettings, PrinterTarget, parse_printer_url
from .testpage import build_test_page

__all__ = [
    "Delivery", "PrinterConfigError", "PrinterSettings", "PrinterTarget", "PrinterUnavailable", "PrintingError",
    "ReceiptData", "ReceiptLine", "ReceiptPayment", "Slip",
    "build_prebill", "build_receipt", "build_test_page", "deliver", "lay_out", "open_printer", "parse_printer_url",
    "preview_png", "preview_text", "print_test_page", "render_image", "send_bytes", "slip_to_bytes",
]
