"""Time building the ESC/POS bytes of a 20-line receipt in each printing mode.

    python bench/receipt.py            # 30 runs per mode, 80 mm paper
    python bench/receipt.py --quick    # 3 runs per mode, for CI
    python bench/receipt.py --paper 58 --runs 50

Prints one human-readable line per mode, then, as the LAST line, one JSON
object: milliseconds per slip per mode (median of the warm runs), e.g.
{"image": 41.2, "codepage_tcvn3": 2.1, "codepage_cp1258": 2.4, "ascii": 1.6}.
Target: image mode under 100 ms.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere without installing

from pos.printing import PrinterSettings, ReceiptData, ReceiptLine, ReceiptPayment, build_receipt, slip_to_bytes  # noqa: E402

MODES = {
    "image": {"mode": "image"},
    "codepage_tcvn3": {"mode": "codepage", "codepage": "tcvn3"},
    "codepage_cp1258": {"mode": "codepage", "codepage": "cp1258"},
    "ascii": {"mode": "ascii"},
}
TARGET_IMAGE_MS = 100.0

_PRODUCTS = [
    ("Mật ong rừng Bình Liêu", 120_000, 3), ("Miến dong Bình Liêu 500g", 65_000, 4),
    ("Trà hoa vàng Ba Chẽ", 250_000, 4), ("Rượu ba kích Quảng Ninh", 180_000, 3),
    ("Chả mực Hạ Long", 350_000, 5), ("Sá sùng khô Vân Đồn", 990_000, None),
    ("Gạo nếp cái hoa vàng Đông Triều", 45_000, 3), ("Nấm lim xanh Tiên Yên", 1_200_000, None),
    ("Tinh dầu quế Bình Liêu", 95_000, 3), ("Dầu sở Bình Liêu", 150_000, 4),
]


def sample_receipt() -> ReceiptData:
    """A realistic 20-line sale with discounts, two payments, a VAT buyer and a reprint mark."""
    lines = []
    for i in range(20):
        name, price, stars = _PRODUCTS[i % len(_PRODUCTS)]
        qty = 1 + i % 3
        discount = 5_000 if i % 4 == 0 else 0
        lines.append(ReceiptLine(f"{name} ({i + 1})", qty, price, qty * price - discount, discount, stars))
    subtotal = sum(line.line_total_vnd for line in lines)
    total = subtotal - 20_000
    return ReceiptData(
        fair_name="Hội chợ OCOP Quảng Ninh – Xuân 2020", booth_name="Gian hàng B07 – Bình Liêu",
        receipt_no="X20-B07-T1-000123", created_at=datetime(2020, 1, 18, 7, 35, tzinfo=timezone.utc),
        till_name="Quầy 1", cashier_name="Nguyễn Thị Lan", lines=lines, total_vnd=total,
        order_discount_vnd=20_000,
        payments=[ReceiptPayment("Tiền mặt", 500_000, tendered_vnd=500_000, change_vnd=0),
                  ReceiptPayment("Chuyển khoản", total - 500_000, reference="FT20018123456")],
        buyer_name="Công ty TNHH Du lịch Bình Liêu", buyer_tax_code="5701234567",
        footer="Cảm ơn quý khách!", reprinted_at=datetime(2020, 1, 19, 2, 0, tzinfo=timezone.utc),
    )


def time_mode(slip, settings: PrinterSettings, runs: int) -> tuple[float, float, int]:
    """(first run ms, median of the other runs ms, bytes) for building the slip's bytes."""
    started = time.perf_counter()
    size = len(slip_to_bytes(slip, settings))
    first = (time.perf_counter() - started) * 1000
    timings = []
    for _ in range(max(1, runs)):
        started = time.perf_counter()
        slip_to_bytes(slip, settings)
        timings.append((time.perf_counter() - started) * 1000)
    return first, statistics.median(timings), size


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs per mode (for CI)")
    parser.add_argument("--runs", type=int, default=None, help="warm runs per mode (default 30, 3 with --quick)")
    parser.add_argument("--paper", type=int, choices=(58, 80), default=80)
    args = parser.parse_args(argv)
    runs = args.runs or (3 if args.quick else 30)

    slip = build_receipt(sample_receipt())
    results = {}
    print(f"Receipt of 20 lines, {args.paper} mm paper, {runs} warm runs per mode")
    for name, options in MODES.items():
        settings = PrinterSettings(paper_mm=args.paper, **options)
        first, median, size = time_mode(slip, settings, runs)
        results[name] = round(median, 2)
        print(f"  {name:<16} {median:8.2f} ms per slip (first run {first:7.2f} ms), {size:7d} bytes")
    verdict = "OK" if results["image"] < TARGET_IMAGE_MS else "TOO SLOW"
    print(f"  image mode target < {TARGET_IMAGE_MS:.0f} ms: {verdict}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
