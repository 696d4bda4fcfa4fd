"""Small helpers for record identity and time: stable UUIDs and UTC ISO timestamps."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone


def new_uuid() -> str:
    """A random UUID4 as text; stable across merges of workspaces."""
    return str(uuid.uuid4())


def new_uuids(count: int) -> list[str]:
    """`count` random UUID4s as text, made in bulk (much faster than `new_uuid` per row)."""
    import numpy as np  # only for bulk writes: the desktop app starts without numpy

    raw = np.frombuffer(os.urandom(16 * count), dtype=np.uint8).reshape(count, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    h = raw.tobytes().hex()
    return [f"{h[i:i + 8]}-{h[i + 8:i + 12]}-{h[i + 12:i + 16]}-{h[i + 16:i + 20]}-"
            f"{h[i + 20:i + 32]}" for i in range(0, 32 * count, 32)]


def utc_now() -> str:
    """Current UTC time as ISO-8601 text with seconds, e.g. `2026-11-26T09:15:02Z`."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
