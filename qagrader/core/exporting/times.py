"""Times in exported files: ``YYYY-MM-DD HH:MM:SS`` in a named time zone, and back.

The workspace stores times in UTC (`storage.records.utc_now`; interaction dates as
``YYYY-MM-DDTHH:MM:SS``). An export writes them in the zone the user chose (their own, by
default, in the app; UTC at the command line) and names the zone in the column header:
``graded_at (Europe/Berlin)``, ``graded_at (UTC)``. The evaluation import reads such a header and
turns the times back into UTC, so a file round-trips exactly (in the one ambiguous hour when
clocks go back, the earlier of the two instants is taken: the text is the same either way).
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import QAGraderError

UTC = "UTC"
_ZONE_HEADER = re.compile(r"(?P<column>.+?) \((?P<zone>[^()]+)\)\Z")


def time_zone(name: str) -> tzinfo:
    """The time zone named `name` (``UTC`` or an IANA name such as ``Europe/Berlin``)."""
    if name.strip().upper() == UTC:
        return timezone.utc
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise QAGraderError(f"'{name}' is not a time zone: use UTC or a name such as Europe/Berlin "
                            "or America/New_York.") from None


def local_zone_name() -> str:
    """The IANA name of this computer's time zone (``$TZ``, ``/etc/timezone`` or the
    ``/etc/localtime`` link), else ``UTC``. The app asks Qt, which knows it on every system."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    except OSError:
        pass
    try:
        link = os.readlink("/etc/localtime")
        candidates.append(link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else "")
    except (OSError, ValueError):
        pass
    for name in candidates:
        if name and not name.startswith("/"):
            try:
                time_zone(name)
            except QAGraderError:
                continue
            return UTC if name.upper() in ("UTC", "ETC/UTC", "UCT", "ZULU") else name
    return UTC


def chosen_zone(name: str) -> str:
    """The zone a user named: ``local`` is this computer's (`local_zone_name`); any other name
    is checked (`time_zone`) and returned as given."""
    zone = local_zone_name() if name.strip().lower() == "local" else name.strip()
    time_zone(zone)
    return zone


def zone_header(column: str, zone_name: str) -> str:
    """``graded_at (Europe/Berlin)``: a time column's header naming its zone."""
    return f"{column} ({zone_name})"


def split_zone_header(header: str) -> tuple[str, str] | None:
    """(column, zone name) of a header made by `zone_header`, else None."""
    match = _ZONE_HEADER.match(header.strip())
    return (match["column"], match["zone"]) if match else None


class LocalTimes:
    """Stored UTC times (``YYYY-MM-DDTHH:MM:SS[.ffffff][Z]``) as ``YYYY-MM-DD HH:MM:SS`` in
    one zone; '' for None or blank. The zone's offset is looked up once per UTC hour; a
    whole-hour offset then only changes the date and hour (most zones: text, no arithmetic)."""

    def __init__(self, zone_name: str = UTC):
        self.zone_name = UTC if zone_name.strip().upper() == UTC else zone_name.strip()
        self._zone = time_zone(self.zone_name)
        self._hours: dict[str, str | timedelta | bool] = {}  # UTC hour -> local "YYYY-MM-DD HH", the
        # offset, or False when the offset changes within that hour (Lord Howe's half-hour shifts)

    def __call__(self, stored: str | None) -> str:
        if not stored:
            return ""
        if self._zone is timezone.utc:
            return f"{stored[:10]} {stored[11:19]}"
        hour = stored[:13]
        local = self._hours.get(hour)
        if local is None:
            start = datetime.fromisoformat(hour + ":00:00").replace(tzinfo=timezone.utc)
            offset = start.astimezone(self._zone).utcoffset() or timedelta(0)
            end = (start + timedelta(seconds=3599)).astimezone(self._zone).utcoffset() or timedelta(0)
            whole = offset.total_seconds() % 3600 == 0
            local = self._hours[hour] = (False if end != offset else
                                         (start + offset).strftime("%Y-%m-%d %H") if whole else offset)
        if local.__class__ is str:
            return local + stored[13:19]  # type: ignore[operator]
        moment = datetime.fromisoformat(stored[:19])
        if local is False:
            return moment.replace(tzinfo=timezone.utc).astimezone(self._zone).replace(tzinfo=None).isoformat(sep=" ")
        return (moment + local).isoformat(sep=" ")  # type: ignore[operator]


def to_utc(local: str, zone_name: str) -> str:
    """A naive ``YYYY-MM-DDTHH:MM:SS`` (or with a space) in zone `zone_name` as the same
    instant in UTC, ``YYYY-MM-DDTHH:MM:SS``."""
    moment = datetime.fromisoformat(local.replace(" ", "T")[:19])
    zone = time_zone(zone_name)
    if zone is timezone.utc:
        return moment.isoformat()
    return moment.replace(tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None).isoformat()
