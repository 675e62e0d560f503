"""What printing can go wrong with, in words a cashier or booth manager can act on.

Both errors carry a Vietnamese message (the booth's language) in `str(err)`.
They do not depend on Flask: the print queue, the settings page and the CLI each
decide how to show them.
"""
from __future__ import annotations


class PrintingError(Exception):
    """Base class of the printing errors."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class PrinterConfigError(PrintingError, ValueError):
    """A printer setting is malformed (the printer URL, the paper width, a code page slot...).

    `setting` names the offending setting ("url", "paper_mm", ...).
    """

    def __init__(self, message: str, setting: str | None = None):
        self.setting = setting
        super().__init__(message)


class PrinterUnavailable(PrintingError):
    """The printer could not be reached or refused the data; the job should wait and be retried.

    `reason` is a short machine-readable code for the print queue and the UI:
    "not_configured", "refused", "timeout", "host_not_found", "unreachable",
    "not_found", "permission", "driver_missing", "io". `target` is the printer
    as written in messages ("127.0.0.1:9100", "/dev/usb/lp0", "USB 04b8:0202").
    """

    def __init__(self, message: str, *, reason: str = "io", target: str = ""):
        self.reason = reason
        self.target = target
        super().__init__(message)
