"""The chunks an unfinished experiment has landed: the tables of what finished so far.

A results folder's final tables are written only when its experiment ends, but every chunk
of replications lands whole under ``parts/`` as it finishes (see
:mod:`funnelsim.experiments.storage`). An interrupted or still running experiment is read
from there, so its figures and report show what finished instead of nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from funnelsim.base.files import damage

PARTS = "parts"


def landed(folder: Path) -> list[Path]:
    """The chunks that landed whole, in name order (point, then first replication).

    Chunks still being written are hidden (``.name.partial``) and skipped; so is a chunk cut
    short by a crash, which ``--resume`` runs again.
    """
    parts = folder / PARTS
    if not parts.is_dir():
        return []
    chunks = sorted(p for p in parts.iterdir() if p.is_dir() and not p.name.startswith("."))
    return [chunk for chunk in chunks if whole(chunk)]


def whole(chunk: Path) -> bool:
    """Whether every table of a landed chunk reads (a crash or a full disk can cut one short)."""
    tables = [chunk / f"{name}.parquet" for name in ("runs", "weekly", "groups")]
    return all(t.is_file() and damage(t) is None for t in tables)


def tables(folder: Path, names: Iterable[str]) -> dict[str, pd.DataFrame]:
    """Each named table over every landed chunk (empty when none holds it).

    A chunk landed before its experiment counted periods has no ``periods`` table.
    """
    chunks = landed(folder)
    out = {}
    for name in names:
        frames = [pd.read_parquet(p) for c in chunks if (p := c / f"{name}.parquet").is_file()]
        frames = [f for f in frames if not f.empty]
        out[name] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return out
