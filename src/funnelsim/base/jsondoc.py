"""Values as a strict JSON document takes them: NumPy scalars as Python's, NaN as null."""

from __future__ import annotations

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
