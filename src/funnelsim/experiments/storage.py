"""The results folder: finished work lands on disk as it finishes, and nothing else does.

Layout of a folder::

    manifest.json     what ran: version, scenario and its hash, experiment, seed, command,
                      times, which replications are done, status
    parts/<chunk>/    each finished chunk's runs, weekly and groups tables, renamed into
                      place whole: a chunk is on disk entirely or not at all
    runs.parquet      one row per replication x policy x sweep point   } written at the end
    weekly.parquet    weekly series per replication, long format      } from the parts,
    groups.parquet    figures per source and per segment per run      } atomically
    periods.parquet   counts per month or quarter per run, when a study asks (an SLA's)
    summary.csv       per policy and point: mean, spread, 95% interval, percentiles
    differences.csv   per policy and point: paired difference from the baseline policy

The final files depend only on which items ran, never on how the work was split into
chunks: parts are read in (point, replication) order and written in row groups of a fixed
size, so an interrupted and resumed experiment writes the same bytes as an uninterrupted one.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from funnelsim.base.files import (
    atomic_write,
    remove_stale,
    sizes,
    sync_file,
    sync_folder,
    temporary_name,
    write_json,
)
from funnelsim.errors import UsageError
from funnelsim.experiments.execution import ChunkResult
from funnelsim.experiments.tables import to_table
from funnelsim.results.experiment import (
    FINAL_FILES,
    FORMAT,
    ID_COLUMNS,
    MANIFEST,
    TABLES,
    named_policies,
)
from funnelsim.results.parts import whole

_CHUNK = re.compile(r"^(p\d{6}-r\d{7}-\d{7}|\..+\.partial)$")
ROWS_PER_GROUP = 2_048
"""Rows per Parquet row group in the final files: the most the parent holds of a table."""
LOCK = ".lock"


class ResultsFolderError(UsageError):
    """An output folder that cannot be used as asked (exists, or holds another experiment)."""

    def __init__(self, path: Path, message: str):
        super().__init__(f"{path}: {message}")


class _RowGroupWriter:
    """Writes tables to one Parquet file in row groups of a fixed size, whatever came in."""

    def __init__(self, path: Path):
        self.path, self.buffer, self.rows, self.writer = path, [], 0, None

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self.buffer.append(table)
        self.rows += table.num_rows
        while self.rows >= ROWS_PER_GROUP:
            self._flush(ROWS_PER_GROUP)

    def _flush(self, rows: int) -> None:
        table = pa.concat_tables(self.buffer)
        head, tail = table.slice(0, rows), table.slice(rows)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, head.schema)
        self.writer.write_table(head, row_group_size=rows)
        self.buffer, self.rows = ([tail] if tail.num_rows else []), tail.num_rows

    def close(self, schema: pa.Schema | None = None) -> None:
        if self.rows:
            self._flush(self.rows)
        if self.writer is None:  # nothing at all: an empty file with the expected columns
            pq.write_table((schema or pa.schema([])).empty_table(), self.path)
        else:
            self.writer.close()


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class ResultsFolder:
    """An experiment's folder: created fresh, or reopened to resume the same experiment."""

    def __init__(self, path: Path, manifest: dict[str, Any], lock: Any = None):
        self.path, self.manifest = path, manifest
        self._lock = lock or _lock(path)
        self.parts = path / "parts"
        self.done: dict[int, set[int]] = {}  # point -> replications finished
        self.damaged: list[Path] = []  # parts that could not be read: removed, to run again
        for part in self._part_dirs():
            try:
                frame = _landed(part)
            except DamagedPart:
                shutil.rmtree(part)
                self.damaged.append(part)
                continue
            for point, replication in frame.drop_duplicates().itertuples(index=False):
                self.done.setdefault(int(point), set()).add(int(replication))

    @staticmethod
    def check_new(path: Path, overwrite: bool) -> None:
        """Refuse, before anything runs, a folder that :meth:`create` would not take."""
        for folder in (path, *path.absolute().parents):
            if folder.exists() and not folder.is_dir():
                raise ResultsFolderError(path, f"{folder} is a file; choose another --out")
        if path.exists() and any(p.name != LOCK for p in path.iterdir()):
            if not (path / MANIFEST).exists():
                raise ResultsFolderError(path, "exists and is not a results folder; choose --out")
            if not ours(path):
                message = "holds a manifest.json that funnelsim did not write; choose another --out"
                raise ResultsFolderError(path, message)
            if not overwrite:
                raise ResultsFolderError(
                    path, "already holds results; add --resume to finish them or --overwrite"
                )

    @classmethod
    def create(cls, path: Path, manifest: dict[str, Any]) -> ResultsFolder:
        """A new folder, replacing the results funnelsim wrote there (see :meth:`check_new`).

        Only funnelsim's own files go (see :func:`ours`); anything else in the folder stays.
        What was removed is listed in the manifest under ``removed``.
        """
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResultsFolderError(path, f"cannot be written: {exc.strerror}") from None
        lock = _lock(path)  # before anything is removed: the folder may be in use
        try:
            ResultsFolder.check_new(path, overwrite=True)  # again, now that the folder is held
            removed = [str(p.relative_to(path)) for p in _remove_results(path)]
            (path / "parts").mkdir(exist_ok=True)
        except (OSError, ResultsFolderError) as exc:
            lock.close()
            if isinstance(exc, ResultsFolderError):
                raise
            raise ResultsFolderError(path, f"cannot be written: {exc.strerror}") from None
        folder = cls(path, manifest | ({"removed": removed} if removed else {}), lock)
        folder.save()
        return folder

    @classmethod
    def reopen(cls, path: Path, fingerprint: str) -> ResultsFolder:
        """The folder of an interrupted run of the same experiment, to finish it.

        Nothing in the folder changes until it is held: a refused resume leaves it as it was.
        """
        if not (path / MANIFEST).is_file():
            message = "no experiment to resume here (no manifest.json)"
            raise ResultsFolderError(path, message)
        lock = _lock(path)
        try:
            manifest = _resumable(path, fingerprint)
        except ResultsFolderError:
            lock.close()  # refused: let go of the folder, changed in nothing
            raise
        if manifest.get("status") == "complete":
            # Finished tables would go stale while more replications are added: the parts are
            # the record, and the tables are written again from them at the end.
            for name in FINAL_FILES:
                (path / name).unlink(missing_ok=True)
        parts = path / "parts"
        parts.mkdir(exist_ok=True)
        for staging in parts.glob(".*"):  # chunks a killed run was still writing
            shutil.rmtree(staging, ignore_errors=True)
        remove_stale(path)
        return cls(path, manifest, lock)

    def _part_dirs(self) -> list[Path]:
        if not self.parts.exists():
            return []
        return sorted(p for p in self.parts.iterdir() if p.is_dir() and not p.name.startswith("."))

    def add(self, result: ChunkResult, schema: pa.Schema) -> None:
        """Land a finished chunk, flushed to the disk: its tables appear together or not at all."""
        staging = self.parts / temporary_name(result.chunk)
        staging.mkdir()
        try:
            for name, frame in result.tables().items():
                table = to_table(frame, schema if name == "runs" else None)
                pq.write_table(table, staging / f"{name}.parquet")
                sync_file(staging / f"{name}.parquet")
            sync_folder(staging)
            os.rename(staging, self.parts / result.chunk)
            sync_folder(self.parts)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
        for point, replication in result.runs[["point", "replication"]].drop_duplicates().values:
            self.done.setdefault(int(point), set()).add(int(replication))
        self.save()

    def runs(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Every finished run so far (these columns), in (point, replication, policy) order."""
        tables = [pq.read_table(p / "runs.parquet", columns=columns) for p in self._part_dirs()]
        if not tables:
            return pd.DataFrame()
        frame = named_policies(pa.concat_tables(tables).to_pandas(), self.manifest["policies"])
        return frame.sort_values(list(ID_COLUMNS), kind="stable", ignore_index=True)

    def _tables(self, name: str, replications: int) -> Iterator[pa.Table]:
        for part in self._part_dirs():
            if not (part / f"{name}.parquet").exists():
                continue  # a part landed before its experiment counted periods
            table = pq.read_table(part / f"{name}.parquet")
            if table.num_rows:
                keep = pc.less(table["replication"], replications)
                yield table.filter(keep)

    def finish(self, replications: int, runs_schema_: pa.Schema) -> None:
        """Write the final tables from the parts, keeping replications below ``replications``."""
        for name in TABLES:
            schema = runs_schema_ if name == "runs" else None

            def write(tmp: Path, name=name, schema=schema) -> None:
                writer = _RowGroupWriter(tmp)
                for table in self._tables(name, replications):
                    writer.write(table)
                writer.close(schema)

            atomic_write(self.path / f"{name}.parquet", write)

    def write_csv(self, name: str, frame: pd.DataFrame) -> None:
        atomic_write(self.path / name, lambda p: frame.to_csv(p, index=False))

    def save(self) -> None:
        """Rewrite the manifest with the replications done so far, atomically."""
        self.manifest["done"] = {
            "replications": sum(len(r) for r in self.done.values()),
            "by_point": {str(k): _ranges(v) for k, v in sorted(self.done.items())},
        }
        self.manifest["format"] = FORMAT
        if self.manifest.get("status") == "complete":  # the final files are written
            self.manifest["sizes"] = sizes(self.path, FINAL_FILES)
        write_json(self.path / MANIFEST, self.manifest)


class DamagedPart(Exception):
    """A landed chunk whose tables cannot be read (cut short by a crash or a full disk)."""


def _landed(part: Path) -> pd.DataFrame:
    """The (point, replication) pairs of a landed chunk, once every table of it reads."""
    if not whole(part):
        raise DamagedPart(part)
    try:
        return pd.read_parquet(part / "runs.parquet", columns=["point", "replication"])
    except (OSError, ValueError, KeyError):
        raise DamagedPart(part) from None


def _resumable(path: Path, fingerprint: str) -> dict[str, Any]:
    """The manifest of the folder, if it is of the experiment with this fingerprint."""
    manifest = _manifest_of(path)
    if manifest is None:
        message = "manifest.json is damaged or not funnelsim's; start again with --overwrite"
        raise ResultsFolderError(path, message)
    if manifest.get("format") != FORMAT:
        message = "was written by an earlier funnelsim; start again with --overwrite"
        raise ResultsFolderError(path, message)
    if manifest.get("fingerprint") != fingerprint:
        raise ResultsFolderError(
            path,
            "holds a different experiment (scenario, policies, factors, settings, seed or "
            "metrics differ); resume with the command that started it",
        )
    return manifest


def _manifest_of(path: Path) -> dict[str, Any] | None:
    """The manifest of a folder funnelsim wrote, or None (unreadable, or someone else's)."""
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    if manifest.get("format") == FORMAT or {"funnelsim_version", "fingerprint"} <= set(manifest):
        return manifest  # earlier folders carry no format, but always these two keys
    return None


def ours(path: Path) -> bool:
    """Whether ``path`` is a results folder funnelsim wrote: its manifest says so."""
    return _manifest_of(path) is not None


def _remove_results(path: Path) -> list[Path]:
    """Remove what funnelsim writes in a results folder, and nothing else; return it.

    The final files, the manifest, the landed and staged chunks under ``parts/`` (``parts``
    itself too once empty), and temporaries left by killed runs.
    """
    removed = [p for p in (path / n for n in (*FINAL_FILES, MANIFEST)) if p.is_file()]
    parts = path / "parts"
    if parts.is_dir():
        chunks = [p for p in parts.iterdir() if p.is_dir() and _CHUNK.match(p.name)]
        for chunk in chunks:
            shutil.rmtree(chunk)
        removed += chunks
    for file in removed:
        if file.is_file():
            file.unlink()
    if parts.is_dir() and not any(parts.iterdir()):
        parts.rmdir()
    return removed + remove_stale(path)


def _lock(path: Path) -> Any:
    """Hold the folder for this process: two runs landing the same chunks would clash.

    The lock is released when the process ends, however it ends.
    """
    try:
        handle = (path / LOCK).open("a")
    except OSError as exc:
        raise ResultsFolderError(path, f"cannot be written: {exc.strerror}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise ResultsFolderError(path, "another funnelsim run is using this folder") from None
    return handle


def _ranges(values: set[int]) -> list[list[int]]:
    """Sorted integers as inclusive [first, last] runs: 0..39 and 45 are [[0, 39], [45, 45]]."""
    out: list[list[int]] = []
    for v in sorted(values):
        if out and v == out[-1][1] + 1:
            out[-1][1] = v
        else:
            out.append([v, v])
    return out
