"""Times are stored as naive UTC and shown in Vietnam's time.

tzdata (a dependency) gives zoneinfo the Asia/Ho_Chi_Minh zone on Windows too.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")

# Where "now" comes from: the system clock, unless a clock is set with use_clock(). The tests of the
# growing waits after wrong passwords and PINs hold the clock still and move it on themselves, so a
# slow machine cannot outlast a two-second wait between two of their requests.
_clock: Callable[[], datetime] | None = None


def use_clock(clock: Callable[[], datetime] | None) -> None:
    """Read "now" (naive UTC) from clock() from here on; None goes back to the system clock."""
    global _clock
    _clock = clock


def utcnow() -> datetime:
    """Now, as naive UTC (the form every *_at column holds)."""
    if _clock is not None:
        return _clock()
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_local(dt: datetime | None) -> datetime | None:
    """A stored naive-UTC datetime as an aware Vietnam-time datetime."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(VN)


def format_datetime(dt: datetime | None) -> str:
    """20/01/2020 14:05 in Vietnam time."""
    local = to_local(dt)
    return local.strftime("%d/%m/%Y %H:%M") if local else ""


def format_date(value) -> str:
    """20/01/2020 for a date, or a stored datetime's Vietnam date."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return value.strftime("%d/%m/%Y")


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The naive-UTC [start, end) of a Vietnam calendar day, for querying stored times."""
    start = datetime.combine(day, time.min, tzinfo=VN).astimezone(timezone.utc).replace(tzinfo=None)
    return start, start + timedelta(days=1)


def local_today() -> date:
    return to_local(utcnow()).date()


def parse_date(text: str) -> date:
    """Parse 20/01/2020 or 2020-01-20. Raises ValueError."""
    text = (text or "").strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)
