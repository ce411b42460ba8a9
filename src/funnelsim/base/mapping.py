"""Nested mappings as scenarios use them: merged key by key, and flattened to dotted keys.

A distribution (``{lognormal: {...}}``) is one value, not a mapping to merge into or to
flatten: setting one leaf of it would keep its old family beside the new one.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from funnelsim.base.distributions import FAMILIES


def families(mapping: Mapping) -> frozenset:
    """The distribution families a mapping names, if it is a distribution spec at all."""
    keys = frozenset(mapping)
    return keys if keys and keys <= FAMILIES else frozenset()


def deep_merge(base: dict, patch: Mapping) -> None:
    """Merge mappings key by key; replace anything else, and a distribution of another family."""
    for key, value in patch.items():
        current = base.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict):
            if families(value) and families(current) and families(value) != families(current):
                base[key] = copy.deepcopy(dict(value))
            else:
                deep_merge(current, value)
        else:
            base[key] = copy.deepcopy(value)


def dotted(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested scenario data as ``--set`` keys: ``{"sdr": {"headcount": 4}}`` is
    ``{"sdr.headcount": 4}``. Lists, empty mappings and distributions stay whole."""
    out: dict[str, Any] = {}
    for key, item in data.items():
        name = f"{prefix}{key}"
        if isinstance(item, Mapping) and item and not families(item):
            out |= dotted(item, name + ".")
        else:
            out[name] = item
    return out
