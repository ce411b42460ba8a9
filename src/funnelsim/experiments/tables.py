"""The Arrow types of an experiment's tables: each column typed the same in every chunk, so
chunks written at any time, by any worker, concatenate into one file."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from funnelsim.runner import metric_names


def factor_type(values: Iterable[Any]) -> pa.DataType:
    """The column type of a factor: bool, integer, float, or text when values are mixed."""
    values = list(values)
    if all(isinstance(v, bool) for v in values):
        return pa.bool_()
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pa.int64()
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return pa.float64()
    return pa.string()


POLICY = pa.dictionary(pa.int32(), pa.string(), ordered=True)
"""The ``policy`` column: each run's policy by name, its dictionary the experiment's policies
in order, so a reader gets a categorical that sorts as the experiment lists them."""


def runs_schema(factors: dict[str, pa.DataType]) -> pa.Schema:
    """Identifiers, factor values, outcome, then every metric as a float (NaN if it failed)."""
    return pa.schema(
        [
            ("point", pa.int64()),
            ("replication", pa.int64()),
            ("policy", POLICY),
            ("seed", pa.int64()),
            *factors.items(),
            ("status", pa.string()),
            ("error", pa.string()),
            *((m, pa.float64()) for m in metric_names()),
        ]
    )


def to_table(frame: pd.DataFrame, schema: pa.Schema | None = None) -> pa.Table:
    """An Arrow table without pandas metadata: parts written at any time concatenate.

    With a schema, each column is converted to its type (text factors as their text, missing
    values as nulls), whatever pandas inferred for this chunk.
    """
    if schema is None:
        return pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    columns = [_column(frame[f.name], f.type) for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def _column(values: pd.Series, kind: pa.DataType) -> pa.Array:
    if pa.types.is_dictionary(kind):
        return pa.array(values, type=kind)
    if kind == pa.string():
        return pa.array([None if pd.isna(v) else str(v) for v in values], type=kind)
    return pa.array(values.to_numpy(dtype=kind.to_pandas_dtype(), na_value=np.nan), type=kind)
