"""Delivering ESC/POS bytes to the printer named by the settings' URL.

`send_bytes` opens the device, writes, closes, and turns every usual fault
(printer off, unplugged, wrong address, no permission, driver missing, timeout)
into PrinterUnavailable with a plain Vietnamese message naming the printer and
what failed. The sale is already committed when this runs: the print queue
keeps the bytes and retries; nothing here blocks longer than settings.timeout
on the network, USB and serial transports.

The settings themselves (PrinterSettings, PrinterTarget, parse_printer_url)
live in settings.py and are re-exported here.
"""
from __future__ import annotations

import errno
import logging
import socket
from dataclasses import dataclass

from escpos.exceptions import Error as EscposError

from .errors import PrinterConfigError, PrinterUnavailable
from .render import slip_to_bytes
from .settings import PrinterSettings, PrinterTarget, default_mode, parse_printer_url
from .testpage import build_test_page

log = logging.getLogger(__name__)

__all__ = [
    "PrinterConfigError", "PrinterSettings", "PrinterTarget", "PrinterUnavailable",
    "Delivery", "default_mode", "deliver", "open_printer", "parse_printer_url", "print_test_page", "send_bytes",
]

# Transports that can read an answer back; a file, CUPS or Windows queue only takes bytes.
ANSWERING_KINDS = ("tcp", "usb", "serial")
# DLE EOT n: real-time status. Every valid answer byte has bits 1 and 4 set, bits 0 and 7 clear.
DLE_EOT = b"\x10\x04"
_FIXED_MASK, _FIXED_BITS = 0x93, 0x12


@dataclass(frozen=True)
class Delivery:
    """What became of the bytes: confirmed by the printer afterwards, or only sent."""

    confirmed: bool
    note: str = ""


class _NoAnswer(Exception):
    """The printer did not answer a status query in time (or answered nonsense)."""


def deliver(data: bytes, settings: PrinterSettings) -> Delivery:
    """Send a job, asking the printer how it is before and after, where it can answer.

    Before: a printer out of paper, with its cover open, offline or in error, or one that
    accepts the connection and never answers, gets nothing (so a retry prints once).
    After: the printer must answer again and say it is well, else the job failed.
    A printer that cannot answer (file, CUPS, Windows queue, or asks_status off) gets the
    bytes and the result says "sent, not confirmed". Raises PrinterUnavailable with a reason:
    "paper_out", "cover_open", "offline", "printer_error", "no_answer" or a transport fault.
    """
    target = settings.target
    if not settings.asks_status or target.kind not in ANSWERING_KINDS:
        send_bytes(data, settings)
        return Delivery(confirmed=False, note="cannot_answer")
    printer = open_printer(settings)
    try:
        try:
            _check_status(printer, settings, before=True)
            printer._raw(data)
            _check_status(printer, settings, before=False)
        except PrinterUnavailable:
            raise
        except Exception as exc:
            raise _unavailable(exc, settings, opening=False) from exc
    finally:
        _close_quietly(printer)
    return Delivery(confirmed=True)


def _ask(printer, n: int) -> int:
    """One DLE EOT n query: the status byte, or _NoAnswer."""
    try:
        answer = printer.query_status(DLE_EOT + bytes([n]))
    except (socket.timeout, TimeoutError) as exc:
        raise _NoAnswer() from exc
    except Exception as exc:
        if type(exc).__name__ == "USBTimeoutError" or "timed out" in str(exc).lower():
            raise _NoAnswer() from exc
        raise
    if not answer:
        raise _NoAnswer()
    byte = answer[-1]  # a printer may have queued an earlier automatic status: the last byte is the answer
    if byte & _FIXED_MASK != _FIXED_BITS:
        raise _NoAnswer()
    return byte


def _check_status(printer, settings: PrinterSettings, *, before: bool) -> None:
    """Ask the printer whether it can print; raises PrinterUnavailable in plain words if not."""
    where = settings.target.describe()
    try:
        online = _ask(printer, 1)
        if online & 0x08:  # offline: ask why (DLE EOT 2), and about the paper roll (DLE EOT 4)
            cause = _ask(printer, 2)
            paper = _ask(printer, 4)
            if paper & 0x60 or cause & 0x20:
                reason, what = "paper_out", "hết giấy. Thay cuộn giấy mới rồi bấm In lại"
            elif cause & 0x04:
                reason, what = "cover_open", "nắp máy in đang mở. Đóng nắp lại rồi bấm In lại"
            elif cause & 0x40:
                reason, what = "printer_error", "máy in đang báo lỗi (kẹt giấy hoặc dao cắt). Tắt bật lại máy in rồi bấm In lại"
            else:
                reason, what = "offline", "máy in đang ngừng (offline). Kiểm tra máy in rồi bấm In lại"
            head = f"Máy in {where}" if before else f"Máy in {where} dừng giữa chừng"
            raise PrinterUnavailable(f"{head}: {what}.", reason=reason, target=where)
    except _NoAnswer:
        if before:
            what = (f"nhận kết nối nhưng không trả lời trong {settings.timeout:g} giây (máy in treo, kẹt giấy, "
                    "hoặc không hỗ trợ hỏi trạng thái: khi đó bỏ chọn «Hỏi trạng thái máy in» trong Cài đặt → Máy in). "
                    "Chưa gửi phiếu")
        else:
            what = (f"đã nhận phiếu nhưng không xác nhận trong {settings.timeout:g} giây là đã in. "
                    "Xem phiếu có ra không trước khi bấm In lại")
        raise PrinterUnavailable(f"Máy in {where} {what}.", reason="no_answer", target=where) from None



def open_printer(settings: PrinterSettings):
    """An opened python-escpos printer object for the settings' URL.

    Raises PrinterUnavailable when the device cannot be opened or its driver
    library is missing, and for the "none" printer.
    """
    target = settings.target
    where = target.describe()
    printer = _make_printer(target, settings)
    try:
        printer.open()
    except Exception as exc:  # escpos wraps OSError in DeviceNotFoundError; drivers raise their own
        _close_quietly(printer)
        raise _unavailable(exc, settings, opening=True) from exc
    if target.kind == "serial":
        # pyserial's timeout only bounds reads; a printer holding DSR low would block writes forever.
        printer.device.write_timeout = settings.timeout
    log.debug("printer %s opened", where)
    return printer


def send_bytes(data: bytes, settings: PrinterSettings) -> None:
    """Open the printer, write data, close it.

    Raises PrinterUnavailable (with .reason and .target) for every fault of the
    device, the connection or a missing driver, never a raw library error.
    """
    printer = open_printer(settings)
    try:
        printer._raw(data)
    except Exception as exc:
        _close_quietly(printer)
        raise _unavailable(exc, settings, opening=False) from exc
    try:
        printer.close()  # CUPS submits the job here; a file or device flushes
    except Exception as exc:
        raise _unavailable(exc, settings, opening=False) from exc


def print_test_page(settings: PrinterSettings) -> None:
    """Print the test slip (every Vietnamese letter, both cases, đ Đ ₫, alignment, QR).

    Returns nothing; raises PrinterUnavailable when the printer cannot be reached.
    """
    deliver(slip_to_bytes(build_test_page(settings), settings), settings)


def _make_printer(target: PrinterTarget, settings: PrinterSettings):
    """The python-escpos printer object for a target (not yet opened)."""
    from escpos import printer as escpos_printer

    where = target.describe()
    profile = settings.profile
    if target.kind == "none":
        raise PrinterUnavailable(
            "Chưa chọn máy in: cấu hình máy in đang là 'none'.", reason="not_configured", target=where
        )
    if target.kind == "tcp":
        return escpos_printer.Network(host=target.host, port=target.port, timeout=settings.timeout, profile=profile)
    if target.kind == "file":
        return escpos_printer.File(devfile=target.path, profile=profile)
    if target.kind == "usb":
        _need(escpos_printer.usb.is_usable(), "pyusb (và libusb)", "USB", where)
        endpoints = {}
        if target.in_ep is not None:
            endpoints["in_ep"] = target.in_ep
        if target.out_ep is not None:
            endpoints["out_ep"] = target.out_ep
        # pyusb's timeout is in milliseconds.
        return escpos_printer.Usb(target.vendor_id, target.product_id, timeout=int(settings.timeout * 1000),
                                  profile=profile, **endpoints)
    if target.kind == "serial":
        _need(escpos_printer.serial.is_usable(), "pyserial", "cổng serial", where)
        return escpos_printer.Serial(devfile=target.path, baudrate=target.baudrate, timeout=settings.timeout,
                                     profile=profile)
    if target.kind == "cups":
        _need(escpos_printer.cups.is_usable(), "pycups", "CUPS", where)
        return escpos_printer.CupsPrinter(printer_name=target.name, profile=profile)
    if target.kind == "win32":
        _need(escpos_printer.win32raw.is_usable(), "pywin32", "máy in Windows", where)
        return escpos_printer.Win32Raw(printer_name=target.name, profile=profile)
    raise PrinterConfigError(f"Không có loại máy in '{target.kind}'.", setting="url")


def _need(usable: bool, library: str, transport: str, where: str) -> None:
    if not usable:
        raise PrinterUnavailable(
            f"Không in được qua {transport} ({where}): chưa cài thư viện {library} trên máy này.",
            reason="driver_missing", target=where,
        )


def _close_quietly(printer) -> None:
    try:
        printer.close()
    except Exception:  # the fault being reported matters more than a failed close
        log.debug("closing the printer failed", exc_info=True)


def _root_cause(exc: BaseException) -> BaseException:
    """The OSError (or driver error) behind python-escpos's DeviceNotFoundError, which wraps it without 'from'."""
    seen = exc
    while isinstance(seen, EscposError) and (seen.__cause__ or seen.__context__):
        seen = seen.__cause__ or seen.__context__
    return seen


def _unavailable(exc: BaseException, settings: PrinterSettings, opening: bool) -> PrinterUnavailable:
    """PrinterUnavailable in plain words for a fault while opening or writing."""
    target = settings.target
    where = target.describe()
    cause = _root_cause(exc)
    reason, what = _explain(cause, target)
    if reason == "timeout":
        what = what.replace("quá thời gian chờ", f"quá thời gian chờ ({settings.timeout:g} giây)", 1)
    if target.kind == "tcp":
        head = f"Không kết nối được máy in {where}" if opening else f"Mất kết nối với máy in {where} khi đang gửi"
    else:
        head = f"Không mở được máy in {where}" if opening else f"Lỗi khi gửi dữ liệu tới máy in {where}"
    return PrinterUnavailable(f"{head}: {what}", reason=reason, target=where)


def _explain(cause: BaseException, target: PrinterTarget) -> tuple[str, str]:
    """(reason code, Vietnamese explanation) for the usual faults."""
    if isinstance(cause, PrinterUnavailable):
        return cause.reason, cause.message
    if isinstance(cause, ConnectionRefusedError):
        return "refused", "bị từ chối kết nối (máy in tắt, sai cổng, hoặc đang bận với máy khác)"
    if isinstance(cause, (socket.timeout, TimeoutError)) or _errno(cause) in (errno.ETIMEDOUT,):
        return "timeout", "quá thời gian chờ (máy in tắt, mất mạng hoặc sai địa chỉ)"
    if isinstance(cause, socket.gaierror):
        return "host_not_found", f"không tìm thấy máy có tên {target.host}"
    if _errno(cause) in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN):
        return "unreachable", "không có đường mạng tới máy in (kiểm tra Wi-Fi/dây mạng)"
    if isinstance(cause, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return "io", "máy in ngắt kết nối giữa chừng"
    if isinstance(cause, FileNotFoundError) or _errno(cause) in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return "not_found", "không thấy thiết bị (máy in chưa cắm, chưa bật hoặc sai đường dẫn)"
    if isinstance(cause, PermissionError) or _errno(cause) in (errno.EACCES, errno.EPERM):
        return "permission", "không có quyền truy cập thiết bị (thêm người dùng vào nhóm lp/dialout hoặc chạy lại máy)"
    if isinstance(cause, RuntimeError) and "install" in str(cause):
        return "driver_missing", "chưa cài thư viện điều khiển cho loại máy in này"
    name = type(cause).__name__
    if name == "NoBackendError":  # pyusb without libusb installed
        return "driver_missing", "chưa cài libusb (trình điều khiển USB) trên máy này"
    if name in ("USBError", "USBTimeoutError"):
        if "timed out" in str(cause).lower() or _errno(cause) == errno.ETIMEDOUT:
            return "timeout", "quá thời gian chờ (máy in hết giấy, kẹt giấy hoặc đang lỗi)"
        return "io", f"lỗi USB ({cause})"
    if type(cause).__module__.startswith("escpos") and "not found" in str(cause).lower():
        return "not_found", "không thấy thiết bị (máy in chưa cắm, chưa bật hoặc sai mã)"
    if isinstance(cause, OSError):
        return "io", f"lỗi thiết bị ({cause.strerror or cause})"
    return "io", f"lỗi {name}: {cause}"


def _errno(exc: BaseException):
    return getattr(exc, "errno", None)
