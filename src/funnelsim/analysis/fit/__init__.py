"""Fit a scenario from a company's CRM export: ``funnelsim fit``.

Read the export through its mapping (:mod:`.mapping`, :mod:`.reading`), estimate what it
shows (:mod:`.estimates`), and write those estimates over a base scenario
(:mod:`.scenario`). See docs/fit.md.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from funnelsim.analysis.fit import estimates as est
from funnelsim.analysis.fit.mapping import CrmMapping, read_mapping
from funnelsim.analysis.fit.pipeline import OpenPipeline, open_pipeline
from funnelsim.analysis.fit.reading import CrmData, read_export
from funnelsim.analysis.fit.scenario import fitted_data, render
from funnelsim.analysis.fit.stages import stages
from funnelsim.analysis.fit.tuning import PIPELINE_FILE, tune_neglect, tune_threshold, written
from funnelsim.base.files import atomic_write, write_json
from funnelsim.base.yamldoc import read
from funnelsim.scenario.loading import load_scenario, scenario_file

__all__ = ["CrmData", "CrmMapping", "Fitted", "fit_export", "read_export", "read_mapping"]

FILES = ("scenario.yaml", PIPELINE_FILE, "estimates.csv", "excluded.csv", "fit.json")
"""What a fit writes into its folder."""


@dataclass(frozen=True)
class Fitted:
    """A fitted scenario (its file's text and data), the pipeline open at the export (its
    file's text and deals), every estimate, and the rows left out."""

    text: str
    data: dict[str, Any]
    pipeline: OpenPipeline
    pipeline_text: str
    estimates: pd.DataFrame
    excluded: pd.DataFrame
    exported_at: pd.Timestamp
    base: str
    amounts: pd.DataFrame  # each deal's segment and amount: the fitted deal sizes' evidence

    def document(self) -> dict[str, Any]:
        """The fit as JSON: when the export was taken, each estimate, each exclusion."""
        return {
            "exported_at": self.exported_at.isoformat(),
            "base": self.base,
            "estimates": json.loads(self.estimates.to_json(orient="records")),
            "excluded": self.excluded.to_dict(orient="records"),
            "open_pipeline": {
                "deals": len(self.pipeline.deals),
                "value": sum(d.get("value", 0.0) for d in self.pipeline.deals),
                "left_out": self.pipeline.left_out,
            },
        }

    def write(self, folder: str | Path) -> list[Path]:
        """The scenario, the open pipeline, the estimates and the exclusions, each file whole
        or not at all."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / name for name in FILES]
        atomic_write(paths[0], lambda tmp: tmp.write_text(self.text, encoding="utf-8"))
        atomic_write(paths[1], lambda tmp: tmp.write_text(self.pipeline_text, encoding="utf-8"))
        atomic_write(paths[2], lambda tmp: self.estimates.to_csv(tmp, index=False))
        atomic_write(paths[3], lambda tmp: self.excluded.to_csv(tmp, index=False))
        write_json(paths[4], self.document())
        return paths


def fit_export(
    mapping: str | Path,
    base: str | Path | None = None,
    at: dt.datetime | None = None,
    tune: bool = True,
) -> Fitted:
    """Fit a scenario from the export that the mapping file ``mapping`` describes, over the
    ``base`` scenario (a file or bundled name; the reference scenario by default). With
    ``at``, the export is read as if it had been taken then (a backtest's split); with
    ``tune``, the MQL threshold is tuned by simulation (:mod:`.tuning`)."""
    crm, folder = read_mapping(mapping)
    if at is not None:
        crm = crm.model_copy(update={"export_date": at})
    base_path = scenario_file(base)
    data = read_export(crm, folder, list(load_scenario(base_path).segments))
    return fitted_from(data, crm, base_path, Path(mapping).name, tune)


def fitted_from(
    data: CrmData, crm: CrmMapping, base_path: Path, name: str, tune: bool = True
) -> Fitted:
    """The fit of an export already read, over the base scenario at ``base_path``."""
    found = [
        *est.arrivals(data),
        *est.deal_sizes(data),
        *stages(data, crm.stages),
        *est.sales(data),
        *est.desk(data, crm.calls),
        *est.conversions(data),
        *est.outcomes(data),
    ]
    fitted = fitted_data(
        read(base_path).data, found, data.exported_at, crm.currency, f"Fitted from {name}"
    )
    for estimate in found:  # a value the export sets is no longer a judgment call
        fitted.get("judgment", {}).pop(estimate.key, None)
    text = render(fitted, found, base_path.stem)
    _check(text)
    if tune:
        found, text = _tuned(fitted, found, data, base_path.stem, text)
    amounts = pd.DataFrame(
        {"segment": est.opp_segments(data), "amount": data.opportunities["amount"]}
    ).dropna()
    pipeline = open_pipeline(data, fitted)
    pipeline_text = pipeline.text(crm.currency, name)
    _check(text, pipeline_text)
    return Fitted(
        *(text, fitted, pipeline, pipeline_text, _table(found), data.excluded),
        *(data.exported_at, base_path.stem, amounts),
    )


def _tuned(
    fitted: dict, found: list[est.Estimate], data: CrmData, base: str, text: str
) -> tuple[list[est.Estimate], str]:
    """The MQL threshold, then the desk's neglect, tuned by simulation (:mod:`.tuning`);
    each written into ``fitted`` with its estimate."""
    threshold = tune_threshold(text, data)
    if threshold is not None:
        method = (
            f"tuned by simulation: the threshold at which the fitted scenario turns "
            f"{threshold.simulated_share:.1%} of a year's nurtured leads into MQLs, against the "
            f"export's {threshold.real_share:.1%}"
        )
        found.append(
            est.Estimate(
                "scoring.mql_threshold", threshold.value, threshold.records, None, None, method
            )
        )
        fitted["scoring"]["mql_threshold"] = threshold.value
        text = render(fitted, found, base)
    neglect = tune_neglect(text, data)
    if neglect is not None:
        put_off, age = neglect
        method = (
            f"tuned by simulation: the share put off at which the fitted scenario leaves "
            f"{put_off.simulated_share:.1%} of a year's MQLs never touched, against the "
            f"export's {put_off.real_share:.1%}"
        )
        found.append(
            est.Estimate("sdr.put_off", put_off.value, put_off.records, None, None, method)
        )
        method = (
            "the wait for a first touch that 99.5% of the export's touched MQLs stay within: "
            "older MQLs are never touched"
        )
        found.append(
            est.Estimate("sdr.max_queue_age", f"{age:g}d", put_off.records, None, None, method)
        )
        fitted["sdr"]["put_off"], fitted["sdr"]["max_queue_age"] = put_off.value, f"{age:g}d"
        text = render(fitted, found, base)
    return found, text


def _check(text: str, pipeline: str | None = None) -> None:
    """The fitted file must load as any scenario does, and from its pipeline too: a failure
    here is funnelsim's bug."""
    with written(text, pipeline) as path:
        load_scenario(path, pipeline=None if pipeline is None else path.with_name(PIPELINE_FILE))


def _table(found: list[est.Estimate]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": [e.key for e in found],
            "value": [json.dumps(e.value) for e in found],
            "headline": [e.headline() for e in found],
            "n": [e.n for e in found],
            "low": [e.low for e in found],
            "high": [e.high for e in found],
            "sets": [e.sets for e in found],
            "method": [e.method for e in found],
        }
    )
