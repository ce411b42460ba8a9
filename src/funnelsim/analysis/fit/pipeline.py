"""The pipeline open at the export: each open deal in its stage, with its ages.

``funnelsim fit`` writes it as ``pipeline.yaml``, a file ``funnelsim run``, ``compare`` and
``backtest`` start from (``--pipeline``): its date is the export's, and each deal is one row a
reader can check against the CRM. A deal is written in the stage the export last shows it in
(its stage history, else its stage column), aged from its creation and from entering that
stage; its source and segment are its own or its lead's; its AE is its owner, numbered as the
fit counted the AEs. A deal whose stage, source or segment the fitted scenario does not have is
left out, and the file's header counts it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import yaml

from funnelsim.analysis.fit.estimates import opp_segments
from funnelsim.analysis.fit.reading import CrmData
from funnelsim.analysis.fit.stages import stage_episodes

WARMUP_WEEKS, WEEKS = 26, 26
"""The run warms up for half a year to the export's date, then measures the next two quarters
(``--set horizon.length=...`` measures more: the length counts the warm-up too)."""


@dataclass(frozen=True)
class OpenPipeline:
    """The open deals as a pipeline file's rows, and the open deals left out (with why)."""

    deals: list[dict]
    left_out: dict[str, int]
    exported_at: pd.Timestamp

    def text(self, currency: str, source: str) -> str:
        """The pipeline file: a header saying what it holds and how to use it, then the
        date, the horizon and one line per deal."""
        value = sum(d["value"] for d in self.deals if "value" in d)
        header = [
            f"The pipeline open in {source} at {self.exported_at:%Y-%m-%d %H:%M %Z}: "
            f"{len(self.deals)} deals, {currency} {value:,.0f} where the amount is known.",
            "Start from it: funnelsim run scenario.yaml --pipeline pipeline.yaml",
            "Each deal: its stage, age (since created) and in_stage (since it entered the "
            "stage), value and AE (owners numbered by name).",
        ]
        if self.left_out:
            why = ", ".join(f"{n} {reason}" for reason, n in self.left_out.items())
            header.append(f"Left out: {why}.")
        lines = [f"# {line}" for line in header]
        date = self.exported_at.date()
        start = date - dt.timedelta(weeks=WARMUP_WEEKS)
        lines.append(f"start_date: {start}  # warmed up to the pipeline's date")
        lines.append(f"horizon: {{warmup: {WARMUP_WEEKS}w, length: {WARMUP_WEEKS + WEEKS}w}}")
        lines += ["pipeline:", f"  date: {date}", "  deals:" if self.deals else "  deals: []"]
        for deal in self.deals:
            row = yaml.safe_dump(deal, default_flow_style=True, sort_keys=False, width=10_000)
            lines.append(f"    - {row.strip()}")
        return "\n".join(lines) + "\n"


def open_pipeline(data: CrmData, scenario: dict) -> OpenPipeline:
    """The deals open at the export, placed in ``scenario`` (a fitted scenario's data)."""
    episodes = stage_episodes(data)
    current = episodes[episodes["exit"] == "open"].drop_duplicates("opp_id", keep="last")
    opps = data.opportunities.assign(segment=opp_segments(data)).set_index("opp_id")
    leads = data.leads.set_index("lead_id")["source"]
    owners = sorted(opps.loc[opps["outcome"] == "open", "owner"].dropna().astype(str).unique())
    ae_count = int(scenario["sales"]["ae_count"])
    deals, left_out = [], {}
    for row in current.itertuples():
        deal = opps.loc[row.opp_id]
        source = leads.get(deal["lead_id"]) if pd.notna(deal["lead_id"]) else None
        segment = scenario["segments"].get(row.segment) if isinstance(row.segment, str) else None
        why = _missing(source, scenario, segment, row.stage)
        if why is not None:
            left_out[why] = left_out.get(why, 0) + 1
            continue
        placed = {
            "id": str(row.opp_id),
            "source": source,
            "segment": row.segment,
            "stage": row.stage,
            "age": f"{row.opened_days + row.days:.2f}d",
            "in_stage": f"{row.days:.2f}d",
        }
        if pd.notna(deal["amount"]):
            placed["value"] = round(float(deal["amount"]), 2)
        owner = str(deal["owner"]) if pd.notna(deal["owner"]) else None
        if owner in owners and owners.index(owner) < ae_count:
            placed["ae"] = owners.index(owner)
        deals.append(placed)
    return OpenPipeline(deals, left_out, data.exported_at)


def _missing(source, scenario: dict, segment: dict | None, stage: str) -> str | None:
    """Why a deal cannot be placed in the scenario, or None."""
    if source is None or source not in scenario["sources"]:
        return "without a source the scenario has"
    if segment is None:
        return "without a segment the scenario has"
    if stage not in [s["name"] for s in segment["stages"]]:
        return "in a stage the fitted scenario lacks"
    return None
