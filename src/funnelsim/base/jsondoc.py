"""Values as a strict JSON document takes them: NumPy scalars as Python's, NaN as null."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any


def plain(value: Any) -> Any:
    """``value`` with every NumPy scalar unwrapped and every non-finite float as ``None``."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "item"):  # NumPy scalars
        return plain(value.item())
    return value


def content_hash(data: Any) -> str:
    """SHA-256 of canonical JSON: the same content always hashes the same, so a run and an
    experiment's manifest name one resolved scenario by the same hash."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
