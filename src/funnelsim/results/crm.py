"""What ``funnelsim fit --out`` and ``funnelsim backtest --out`` leave in their folders, read
back for the report.

A fit's folder holds its estimates, the rows it left out, the pipeline open at the export and
the figure of its deal sizes; a backtest's holds its scores, the weekly series behind them,
the time to close of the deals closed after the split, and the fit at the split (``fit/``).
Readers only: pandas and YAML, never the fit or the model that made them (docs/fit.md).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from funnelsim.errors import FunnelsimError
from funnelsim.results.plan import FILE as PLAN

FIT = "fit.json"
BACKTEST = "backtest.json"
FIT_FILES = (FIT, "estimates.csv", "excluded.csv", "scenario.yaml")
"""What the report reads of a fit's folder."""
BACKTEST_FILES = (BACKTEST, "scores.csv", "weekly.csv", "distances.csv")
"""What the report reads of a backtest's folder, beside its fit at the split."""
AT_THE_SPLIT = "fit"
"""Where a backtest's folder keeps the fit at the split."""
DEAL_SIZES = Path("figures") / "deal_sizes.png"
"""The figure a fit's folder holds when ``funnelsim fit --out`` drew it."""
ESTIMATES = ("key", "value", "headline", "n", "low", "high", "sets", "method")
SCORES = (
    "series", "real", "simulated", "simulated_low_95", "simulated_high_95",
    "mae_per_week", "wape", "bias", "inside_80", "inside_95",
)  # fmt: skip
WEEKLY = ("series", "week", "real", "mean", "low_95", "low_80", "high_80", "high_95")
DISTANCES = ("deals", "real_n", "real_median_days", "simulated_median_days", "earth_movers_days")
"""The columns the report reads of each table."""
STAGES = ("segment", "stage", "median", "p90", "advance", "lost", "no_decision", "dark")
"""The columns of :meth:`FitFolder.stages`."""
AGAIN = {
    "fit": "funnelsim fit MAPPING --out FOLDER --overwrite",
    "backtest": "funnelsim backtest MAPPING --out FOLDER --overwrite",
}


@dataclass(frozen=True)
class FitFolder:
    """A fit as its folder holds it: every estimate, the rows left out, the open pipeline."""

    path: Path
    name: str  # the fitted scenario's name
    currency: str
    exported_at: pd.Timestamp
    base: str
    estimates: pd.DataFrame  # key, value (JSON), headline, n, low, high, sets, method
    excluded: pd.DataFrame  # table, reason, rows
    open_deals: int
    open_value: float
    left_out: dict[str, int]  # open deals the scenario cannot place, by why
    deal_sizes: bytes | None = field(default=None, repr=False)  # the PNG, if drawn

    def values(self) -> dict[str, Any]:
        """Each estimate's value by key, as the fit wrote it: a number, a mix, a log-normal's
        median and p90, a segment's stages."""
        return {
            k: json.loads(v)
            for k, v in zip(self.estimates["key"], self.estimates["value"], strict=True)
        }

    def stages(self) -> pd.DataFrame:
        """Each segment's stages in order: the log-normal median and p90 days, and the share
        of deals that advance, are lost, end with no decision or go dark (the rest)."""
        rows = []
        for key, stages in self.values().items():
            for stage in stages if key.endswith(".stages") else ():
                shape = stage["duration"]["lognormal"]
                shares = {k: stage[k] for k in ("advance", "lost", "no_decision")}
                days = {k: float(str(shape[k]).removesuffix("d")) for k in ("median", "p90")}
                dark = 1 - sum(shares.values())
                rows.append(
                    {"segment": key.split(".")[1], "stage": stage["name"]}
                    | days
                    | shares
                    | {"dark": dark}
                )
        return pd.DataFrame(rows, columns=STAGES)


@dataclass(frozen=True)
class BacktestFolder:
    """A backtest as its folder holds it: the scores, the weeks and the fit at the split."""

    path: Path
    split: pd.Timestamp
    start: str  # "pipeline open at the split" or "warm-up"
    open_deals: int | None  # deals open at the split the runs started from; None: warm-up
    weeks: int
    replications: int
    seed: int
    scores: pd.DataFrame  # per series: real, simulated, its 95% range, MAE, WAPE, bias, inside
    weekly: pd.DataFrame  # per series and week: real, simulated mean and bands
    distances: pd.DataFrame  # won and lost: real and simulated median days, distance
    fit: FitFolder


def report_kind(path: str | Path) -> str:
    """What a folder holds for the report: ``backtest``, ``fit``, ``plan`` or ``experiment``;
    or one line saying it holds none of them."""
    folder = Path(path)
    kinds = (("backtest", BACKTEST), ("fit", FIT), ("plan", PLAN), ("experiment", "manifest.json"))
    for kind, name in kinds:
        if (folder / name).exists():
            return kind
    raise FunnelsimError(
        f"{folder}: not a results folder (no manifest.json, {FIT} or {BACKTEST}) nor a plan "
        f"folder (no {PLAN}); expected the folder of compare, sweep, plan, fit --out or "
        "backtest --out"
    )


def load_crm(path: str | Path) -> FitFolder | BacktestFolder:
    """A fit's or a backtest's folder, whichever it is."""
    return load_backtest(path) if report_kind(path) == "backtest" else load_fit(path)


def load_fit(path: str | Path, made_by: str = "fit") -> FitFolder:
    """The folder ``funnelsim fit --out`` wrote (or a backtest's ``fit/``)."""
    folder = Path(path)
    _present(folder, FIT_FILES, made_by)
    with _readable(folder, made_by):
        document = _document(folder / FIT, ("exported_at", "base", "open_pipeline"))
        pipeline = document["open_pipeline"]
        scenario = _scenario(folder / "scenario.yaml")
        figure = folder / DEAL_SIZES
        found = FitFolder(
            path=folder,
            name=str(scenario.get("name", "")),
            currency=str(scenario.get("currency", "")),
            exported_at=pd.Timestamp(document["exported_at"]),
            base=str(document["base"]),
            estimates=_csv(folder / "estimates.csv", ESTIMATES, {"value": str, "method": str}),
            excluded=_csv(folder / "excluded.csv", ("table", "reason", "rows")),
            open_deals=int(pipeline["deals"]),
            open_value=float(pipeline["value"]),
            left_out={str(k): int(v) for k, v in pipeline["left_out"].items()},
            deal_sizes=figure.read_bytes() if figure.is_file() else None,
        )
        try:
            found.stages()  # every value is JSON, and every stage as the fit writes it
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"estimates.csv: a value not as the fit writes it ({exc!r})") from None
        return found


def load_backtest(path: str | Path) -> BacktestFolder:
    """The folder ``funnelsim backtest --out`` wrote, with its fit at the split."""
    folder = Path(path)
    _present(folder, BACKTEST_FILES, "backtest")
    fit = load_fit(folder / AT_THE_SPLIT, "backtest")
    with _readable(folder, "backtest"):
        keys = ("split", "start", "open_deals", "weeks", "replications", "seed")
        document = _document(folder / BACKTEST, keys)
        open_deals = document["open_deals"]
        return BacktestFolder(
            path=folder,
            split=pd.Timestamp(document["split"]),
            start=str(document["start"]),
            open_deals=None if open_deals is None else int(open_deals),
            weeks=int(document["weeks"]),
            replications=int(document["replications"]),
            seed=int(document["seed"]),
            scores=_csv(folder / "scores.csv", SCORES),
            weekly=_csv(folder / "weekly.csv", WEEKLY),
            distances=_csv(folder / "distances.csv", DISTANCES),
            fit=fit,
        )


def _present(folder: Path, names: tuple[str, ...], made_by: str) -> None:
    """Every file the report reads is there, or one line naming the first one missing."""
    if not folder.is_dir():
        raise FunnelsimError(f"{folder}: no such folder; expected the folder of {made_by} --out")
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise FunnelsimError(
            f"{folder}: {missing[0]} is missing, so this is not a whole {made_by} folder; "
            f"write it again with {AGAIN[made_by]}"
        )


@contextlib.contextmanager
def _readable(folder: Path, made_by: str) -> Iterator[None]:
    """A file of the folder that cannot be read, or is not as funnelsim writes it, said in
    one line with the folder, the file and the remedy."""
    try:
        yield
    except (OSError, ValueError, TypeError, AttributeError, yaml.YAMLError) as exc:
        raise FunnelsimError(
            f"{folder}: {exc}: not as {made_by} --out writes it; write it again with "
            f"{AGAIN[made_by]}"
        ) from exc


def _document(path: Path, keys: tuple[str, ...]) -> dict[str, Any]:
    """A JSON document holding at least these keys."""
    try:
        document = json.loads(path.read_text())
    except ValueError as exc:
        raise ValueError(f"{path.name}: not JSON ({exc})") from None
    missing = [k for k in keys if not isinstance(document, dict) or k not in document]
    if missing:
        raise ValueError(f"{path.name}: no {', '.join(missing)}")
    return document


def _scenario(path: Path) -> dict[str, Any]:
    """The fitted scenario's own keys (its name, its currency)."""
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: not a scenario")
    return data


def _csv(path: Path, columns: tuple[str, ...], text: dict[str, type] | None = None) -> pd.DataFrame:
    """A table the fit or the backtest wrote, holding at least these columns; ``text``:
    columns kept as text (a value written as JSON)."""
    try:
        table = pd.read_csv(path, dtype=text)
    except ValueError as exc:
        raise ValueError(f"{path.name}: {exc}") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{path.name}: no column {', '.join(missing)}")
    if "sets" in table:  # written True/False; read as such whatever pandas made of it
        table = table.assign(sets=table["sets"].astype(str).str.lower() == "true")
    return table
