"""A fitted scenario file: a base scenario with what the export says written over it.

Every fitted value carries a comment with the number of records behind it and its interval;
everything the export cannot tell (nurture, scoring, the desk's reach and the sales trust
loop, costs) stays at the base scenario's values, and the file's header says so.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from typing import Any

import pandas as pd
import yaml

from funnelsim.analysis.fit.estimates import Estimate

FITTED_SECTIONS = (
    "sources (rates, segment mix, seasonality)",
    "segments (deal sizes, stages)",
    "sales.ae_count and sales.acceptance",
    "sdr.headcount and sdr.attempts",
    "scoring.mql_threshold (tuned by simulation to the export's share of leads becoming MQLs)",
    "sdr.put_off and sdr.max_queue_age (tuned to the MQLs the desk never touched, if any)",
)
SINGLE_KEYS = (
    "sales.ae_count",
    "sales.acceptance",
    "sdr.headcount",
    "sdr.attempts",
    "scoring.mql_threshold",
)
"""Keys a fit sets when the export has what they need (calls for the desk's, for instance)."""
WIDTH = 96
"""A mapping or list shorter than this is written on one line."""


def fitted_data(
    base: dict[str, Any],
    estimates: Iterable[Estimate],
    exported_at: pd.Timestamp,
    currency: str,
    name: str,
) -> dict[str, Any]:
    """``base`` (a scenario file's data) with the ``estimates`` that set a key written in.

    The export's sources replace the base's: one the base has keeps its other settings (fit,
    interest, cost per lead), a new one takes them from the base's first marketing source.
    Neither keeps the base's campaign bursts, and a source's seasonality is the export's or
    none.
    """
    data = copy.deepcopy(base)
    setting = [e for e in estimates if e.sets]
    sources = sorted({e.key.split(".")[1] for e in setting if e.key.startswith("sources.")})
    template = next(
        (s for s in base["sources"].values() if s.get("demand_type") == "marketing"),
        next(iter(base["sources"].values())),
    )
    data["sources"] = {}
    for source in sources:
        entry = copy.deepcopy(base["sources"].get(source, template))
        for key in ("bursts", "seasonality"):
            entry.pop(key, None)
        data["sources"][source] = entry
    for estimate in setting:
        _put(data, estimate.key, _plain(estimate))
    data["name"] = name
    data["description"] = (
        f"Fitted from a CRM export taken {exported_at:%Y-%m-%d %H:%M %Z}; what the export "
        "cannot tell is the base scenario's."
    )
    data["currency"] = currency
    data.setdefault("calendar", {})["timezone"] = str(exported_at.tz)  # the CRM's wall clock
    start = exported_at.date() + dt.timedelta(days=(7 - exported_at.weekday()) % 7)
    data["start_date"] = start.isoformat()
    return data


def _plain(estimate: Estimate) -> Any:
    """A value as the scenario file takes it: a segment mix whose shares sum to one."""
    value = estimate.value
    if estimate.key.endswith(".segment_mix"):
        keys = list(value)
        value = dict(value)
        value[keys[-1]] = round(1.0 - sum(value[k] for k in keys[:-1]), 3)
    return value


def _put(data: dict, key: str, value: Any) -> None:
    *parents, last = key.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def render(data: dict[str, Any], estimates: Iterable[Estimate], base_name: str) -> str:
    """The scenario file's text: a header, then every key, fitted ones with their comment."""
    estimates = list(estimates)
    notes = {tuple(e.key.split(".")): _note(e) for e in estimates if e.sets}
    missing = [k for k in SINGLE_KEYS if tuple(k.split(".")) not in notes]
    header = [
        "# Fitted by funnelsim fit from a CRM export (docs/fit.md).",
        "# Fitted from the export, each with its sample size (n) and 95% interval:",
        *(f"#   {section}" for section in FITTED_SECTIONS),
        f"# Everything else is the base scenario's ({base_name}): nurture, scoring, the",
        "# SDR desk's reach and answer rates, the sales trust loop, patience, costs, policies.",
        "# A CRM export does not show them; check them against docs/calibration.md.",
    ]
    if missing:
        named = ", ".join(missing)
        header.append(
            f"# Not fitted (the export lacks what they need, or not tuned), so the base's: {named}."
        )
    return "\n".join([*header, *_lines(data, notes, (), 0)]) + "\n"


def _note(estimate: Estimate) -> str:
    interval = ""
    if estimate.low is not None and estimate.high is not None:
        interval = f", 95% {_number(estimate.low)} to {_number(estimate.high)}"
    return f"fitted: n={estimate.n:,}{interval}; {estimate.method}"


def _number(x: float) -> str:
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def _flow(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10**6, sort_keys=False).strip()


def _scalar(value: Any) -> str:
    return yaml.safe_dump(value, width=10**6).removesuffix("\n...\n").strip()


def _short(value: Any, room: int) -> bool:
    """Whether to write ``value`` on one line: a scalar, a list of scalars, or a mapping or
    list that fits in ``room``."""
    if not isinstance(value, dict | list):
        return True
    if isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
        return True
    return len(_flow(value)) <= room


def _lines(value: Any, notes: dict, path: tuple, indent: int) -> list[str]:
    pad = " " * indent
    out = []
    if isinstance(value, dict):
        for key, item in value.items():
            here = (*path, str(key))
            note = f"  # {notes[here]}" if here in notes else ""
            text = _flow(item) if isinstance(item, dict | list) else _scalar(item)
            if _short(item, WIDTH - indent - len(str(key))):
                out.append(f"{pad}{key}: {text}{note}")
            else:
                out.append(f"{pad}{key}:{note}")
                out.extend(_lines(item, notes, here, indent + 2))
    else:
        for item in value:
            if _short(item, WIDTH - indent - 2):
                out.append(
                    f"{pad}- {_flow(item) if isinstance(item, dict | list) else _scalar(item)}"
                )
            else:
                inner = _lines(item, notes, path, indent + 2)
                out.append(f"{pad}- {inner[0].lstrip()}")
                out.extend(inner[1:])
    return out
