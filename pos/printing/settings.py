"""Printer settings: which printer (one URL-like string) and how to print on it.

The printer is chosen by one setting, so a booth manager can type it and the
config file stays one line:

    tcp://192.168.1.50:9100           network printer (port 9100 by default)
    usb://04b8:0202                   USB vendor:product in hex (needs pyusb)
    usb://0416:5011?out_ep=0x03       ... with the endpoints of a clone
    serial:///dev/ttyUSB0?baudrate=19200    serial port (needs pyserial); serial://COM3 on Windows
    file:///dev/usb/lp0  or  /dev/usb/lp0   a device or file path
    cups://POS80                      a CUPS queue (needs pycups); cups:// = default queue
    win32://POS-80 Printer            a Windows printer (needs pywin32)
    none                              no printer: previews only

Nothing here opens a device; see device.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any, Mapping, Optional
from urllib.parse import parse_qsl, unquote, urlsplit

from .errors import PrinterConfigError

MODES = ("image", "codepage", "ascii")
CODEPAGES = ("tcvn3", "cp1258")
PAPERS = (58, 80)

_EXAMPLES = (
    "tcp://192.168.1.50:9100, usb://04b8:0202, serial:///dev/ttyUSB0?baudrate=19200, "
    "file:///dev/usb/lp0, cups://TEN_HANG_DOI, win32://TEN MAY IN, none"
)
_HEX_ID = re.compile(r"^(0x)?[0-9a-fA-F]{1,4}$")
_WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]")


@dataclass(frozen=True)
class PrinterTarget:
    """Where the bytes go, as parsed from the printer URL.

    kind is one of "tcp", "usb", "serial", "file", "cups", "win32", "none".
    Only the fields of that kind are set.
    """

    kind: str
    host: str = ""
    port: int = 9100
    vendor_id: int = 0
    product_id: int = 0
    in_ep: Optional[int] = None
    out_ep: Optional[int] = None
    path: str = ""
    baudrate: int = 9600
    name: str = ""

    def describe(self) -> str:
        """The printer as named in messages: "127.0.0.1:9100", "/dev/usb/lp0", "USB 04b8:0202"."""
        if self.kind == "tcp":
            host = f"[{self.host}]" if ":" in self.host else self.host
            return f"{host}:{self.port}"
        if self.kind == "usb":
            return f"USB {self.vendor_id:04x}:{self.product_id:04x}"
        if self.kind in ("serial", "file"):
            return self.path
        if self.kind == "cups":
            return f"CUPS {self.name or '(mặc định)'}"
        if self.kind == "win32":
            return self.name
        return "(không có máy in)"


def _bad(url: str, why: str) -> PrinterConfigError:
    return PrinterConfigError(
        f"Địa chỉ máy in không hợp lệ: '{url}'. {why} Dạng đúng, ví dụ: {_EXAMPLES}.",
        setting="url",
    )


def _int(url: str, text: str, what: str, low: int, high: int) -> int:
    try:
        value = int(text, 0) if text.lower().startswith("0x") else int(text)
    except ValueError:
        raise _bad(url, f"{what} phải là số, không phải '{text}'.") from None
    if not low <= value <= high:
        raise _bad(url, f"{what} phải từ {low} đến {high}.")
    return value


def parse_printer_url(url: str) -> PrinterTarget:
    """Parse the printer setting into a PrinterTarget.

    Raises PrinterConfigError, with a message in plain Vietnamese naming what is
    wrong and showing valid forms, for an empty host, a bad port, non-hex USB
    ids, an unknown scheme or any other malformed value.
    """
    raw = (url or "").strip()
    if raw.lower() in ("", "none"):
        return PrinterTarget("none")
    scheme, sep, rest = raw.partition("://")
    scheme = scheme.lower()
    if not sep:
        if raw.startswith(("/", "./", "../", "\\\\")) or _WINDOWS_PATH.match(raw):
            return PrinterTarget("file", path=raw)
        raise _bad(url, "Không nhận ra loại máy in.")
    if scheme == "tcp":
        return _parse_tcp(url, raw)
    if scheme == "usb":
        return _parse_usb(url, rest)
    if scheme == "serial":
        return _parse_serial(url, rest)
    if scheme == "file":
        path = unquote(rest)
        if not path:
            raise _bad(url, "Thiếu đường dẫn thiết bị.")
        return PrinterTarget("file", path=path)
    if scheme == "cups":
        return PrinterTarget("cups", name=unquote(rest).strip("/"))
    if scheme == "win32":
        name = unquote(rest).strip()
        if not name:
            raise _bad(url, "Thiếu tên máy in Windows.")
        return PrinterTarget("win32", name=name)
    raise _bad(url, f"Không có loại máy in '{scheme}'.")


def _parse_tcp(url: str, raw: str) -> PrinterTarget:
    parts = urlsplit(raw)
    try:
        port = parts.port  # raises ValueError for a port that is not a number or out of range
    except ValueError:
        raise _bad(url, "Cổng phải là số từ 1 đến 65535.") from None
    if parts.netloc.endswith(":"):
        raise _bad(url, "Thiếu số cổng sau dấu ':'.")
    if not parts.hostname:
        raise _bad(url, "Thiếu địa chỉ IP hoặc tên máy in.")
    if parts.path not in ("", "/") or parts.query:
        raise _bad(url, "Chỉ ghi tcp://ĐỊA_CHỈ:CỔNG.")
    if port == 0:
        raise _bad(url, "Cổng phải là số từ 1 đến 65535.")
    return PrinterTarget("tcp", host=parts.hostname, port=port or 9100)


def _parse_usb(url: str, rest: str) -> PrinterTarget:
    ids, _, query = rest.partition("?")
    vendor, colon, product = ids.strip("/").partition(":")
    if not colon or not _HEX_ID.match(vendor) or not _HEX_ID.match(product):
        raise _bad(url, "Mã USB phải là VENDOR:PRODUCT dạng số hex, ví dụ 04b8:0202.")
    options = dict(parse_qsl(query))
    unknown = set(options) - {"in_ep", "out_ep"}
    if unknown:
        raise _bad(url, f"Không biết tùy chọn {', '.join(sorted(unknown))}.")
    in_ep = _int(url, options["in_ep"], "in_ep", 0, 255) if "in_ep" in options else None
    out_ep = _int(url, options["out_ep"], "out_ep", 0, 255) if "out_ep" in options else None
    return PrinterTarget("usb", vendor_id=int(vendor, 16), product_id=int(product, 16), in_ep=in_ep, out_ep=out_ep)


def _parse_serial(url: str, rest: str) -> PrinterTarget:
    path, _, query = rest.partition("?")
    path = unquote(path)
    if not path:
        raise _bad(url, "Thiếu cổng serial (ví dụ /dev/ttyUSB0 hoặc COM3).")
    options = dict(parse_qsl(query))
    unknown = set(options) - {"baudrate"}
    if unknown:
        raise _bad(url, f"Không biết tùy chọn {', '.join(sorted(unknown))}.")
    baudrate = _int(url, options.get("baudrate", "9600"), "baudrate", 300, 4_000_000)
    return PrinterTarget("serial", path=path, baudrate=baudrate)


def default_mode(target: PrinterTarget) -> str:
    """Image over fast links (USB, network, file, spoolers); code page text over serial, where a raster is slow."""
    return "codepage" if target.kind == "serial" else "image"


@dataclass(frozen=True)
class PrinterSettings:
    """How to reach the printer and how to print on it.

    url            the printer (see the module docstring)
    paper_mm       58 or 80
    profile        python-escpos capability profile name ("default", "TM-T20II", ...)
    mode           "image" | "codepage" | "ascii"; "auto" picks by transport
                   (codepage over serial, image otherwise)
    codepage       "tcvn3" | "cp1258" (codepage mode only)
    slot_tcvn3_lower, slot_tcvn3_upper, slot_cp1258
                   n of ESC t n for those tables: Epson numbers them 30, 31, 52;
                   clones differ (e.g. CP1258 is 27 or 94 on many 58 mm Xprinter /
                   POS-5890 clones, 35 on Rongta RP326): take it from the printer's
                   self-test page
    cancel_chinese send FS . first: some clones start in Chinese double-byte mode,
                   which would swallow the Vietnamese bytes in pairs
    has_cutter     cut at the end of a slip (else feed to the tear bar)
    has_drawer     a cash drawer hangs off the printer (kicked only when asked)
    timeout        seconds to wait for the device (connect, write, and a status answer)
    asks_status    ask the printer (DLE EOT) before and after each job over the network,
                   USB and serial; turn off for a printer that never answers, whose jobs
                   are then "sent, not confirmed"
    dots_58, dots_80       printable width in dots of each paper
    columns_58, columns_80 characters per line of font A on each paper
    """

    url: str = "none"
    paper_mm: int = 80
    profile: str = "default"
    mode: str = "auto"
    codepage: str = "tcvn3"
    slot_tcvn3_lower: int = 30
    slot_tcvn3_upper: int = 31
    slot_cp1258: int = 52
    cancel_chinese: bool = True
    has_cutter: bool = True
    has_drawer: bool = False
    timeout: float = 10.0
    asks_status: bool = True
    dots_58: int = 384
    dots_80: int = 576
    columns_58: int = 32
    columns_80: int = 48
    target: PrinterTarget = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        """Validate everything once; raises PrinterConfigError naming the bad setting."""
        object.__setattr__(self, "target", parse_printer_url(self.url))
        if self.paper_mm not in PAPERS:
            raise PrinterConfigError("Khổ giấy phải là 58 hoặc 80 (mm).", setting="paper_mm")
        mode = (self.mode or "auto").lower()
        if mode == "auto":
            mode = default_mode(self.target)
        if mode not in MODES:
            raise PrinterConfigError("Chế độ in phải là image, codepage hoặc ascii.", setting="mode")
        object.__setattr__(self, "mode", mode)
        if self.codepage not in CODEPAGES:
            raise PrinterConfigError("Bảng mã phải là tcvn3 hoặc cp1258.", setting="codepage")
        for name in ("slot_tcvn3_lower", "slot_tcvn3_upper", "slot_cp1258"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value <= 255:
                raise PrinterConfigError(f"Số bảng mã ({name}) phải từ 0 đến 255.", setting=name)
        if not self.timeout or self.timeout <= 0:
            raise PrinterConfigError("Thời gian chờ máy in phải lớn hơn 0 giây.", setting="timeout")
        for name in ("dots_58", "dots_80", "columns_58", "columns_80"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 16:
                raise PrinterConfigError(f"{name} phải là số nguyên từ 16 trở lên.", setting=name)
        _check_profile(self.profile)

    @property
    def dots(self) -> int:
        """Printable width of the paper in dots (384 for 58 mm, 576 for 80 mm by default)."""
        return self.dots_58 if self.paper_mm == 58 else self.dots_80

    @property
    def columns(self) -> int:
        """Characters per line in text modes (32 for 58 mm, 48 for 80 mm by default)."""
        return self.columns_58 if self.paper_mm == 58 else self.columns_80

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], prefix: str = "") -> "PrinterSettings":
        """Settings from a config mapping (e.g. Flask config with prefix "PRINTER_"), strings converted.

        Keys are the field names, upper or lower case, after the prefix; missing
        keys keep their defaults. Raises PrinterConfigError for a value of the
        wrong type.
        """
        kwargs = {}
        lowered = {str(k).lower(): v for k, v in values.items()}
        for f in fields(cls):
            if not f.init:
                continue
            key = (prefix + f.name).lower()
            if key not in lowered or lowered[key] is None:
                continue
            kwargs[f.name] = _convert(f.name, lowered[key], f.default)
        return cls(**kwargs)


def _convert(name: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if isinstance(value, str):
            text = value.strip().lower()
            if text in ("1", "true", "yes", "on", "có"):
                return True
            if text in ("0", "false", "no", "off", "không", ""):
                return False
            raise PrinterConfigError(f"{name} phải là true hoặc false.", setting=name)
        return bool(value)
    try:
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except (TypeError, ValueError):
        raise PrinterConfigError(f"{name} phải là số, không phải '{value}'.", setting=name) from None
    return str(value)


def _check_profile(name: str) -> None:
    if name == "default":
        return  # always there; python-escpos reads its profiles (0.5 s of YAML) only for a named one
    from escpos.capabilities import CAPABILITIES  # loaded once by python-escpos itself

    if name not in CAPABILITIES["profiles"]:
        known = ", ".join(sorted(CAPABILITIES["profiles"]))
        raise PrinterConfigError(f"Không có cấu hình máy in '{name}'. Có: {known}.", setting="profile")
