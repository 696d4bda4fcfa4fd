"""Small helpers for record identity and time: stable UUIDs and UTC ISO timestamps."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone


def new_uuid() -> str:
    """A random UUID4 as text; stable across merges of workspaces."""
    return str(uuid.uuid4())


def utc_now() -> str:
    """Current UTC time as ISO-8601 text with seconds, e.g. `2026-11-26T09:15:02Z`."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
