"""Tables that fit the terminal: no header or word cut short, whatever its width.

A table too wide for the screen is narrowed by rich, which shrinks its widest columns even
below the longest word in them and cuts that word short ("bookin…"). A :class:`Fitted` table
is laid out when printed instead: each column gets at least its longest word (headers wrap
onto more lines, never lose letters) and the room left goes to the columns that would wrap
most. When even the longest words do not fit side by side, the table is split into several,
each repeating the key columns (the row labels) so that every part reads on its own.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table

MEASURE_WIDTH = 10_000
"""Wide enough to measure any cell on one line."""


class Fitted:
    """``table`` laid out for the width it is printed at; ``keys``: its leading columns,
    repeated in every part when it must be split."""

    def __init__(self, table: Table, keys: int = 1):
        self.table, self.keys = table, keys

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from parts(self.table, self.keys, console, options)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.table)


def parts(table: Table, keys: int, console: Console, options: ConsoleOptions) -> Iterator[Table]:
    """The table as it fits ``options.max_width``: as it is, with set widths, or split."""
    bounds = _bounds(table, console, options)
    room = options.max_width
    if sum(b.high for b in bounds) + _chrome(table, len(bounds)) <= room:
        yield table
        return
    groups = _groups(table, [b.low for b in bounds], keys, room)
    for k, group in enumerate(groups):
        indices = [*range(keys), *group]
        widths = _widths([bounds[i] for i in indices], room - _chrome(table, len(indices)))
        yield _part(table, dict(zip(indices, widths, strict=True)), k == 0, k == len(groups) - 1)


@dataclasses.dataclass(frozen=True)
class Bounds:
    """A column's widths, padding included: its longest word, its header on one line, and its
    longest line (header or cell); ``low <= head <= high``."""

    low: int
    head: int
    high: int


def _bounds(table: Table, console: Console, options: ConsoleOptions) -> list[Bounds]:
    """Each column's :class:`Bounds`, over its header and every cell."""
    wide = options.update_width(MEASURE_WIDTH)
    out = []
    for column in table.columns:
        header = Measurement.get(console, wide, column.header)
        sizes = [header, *(Measurement.get(console, wide, cell) for cell in column.cells)]
        low, high = max(s.minimum for s in sizes), max(s.maximum for s in sizes)
        out.append(Bounds(*(width + _padding(table) for width in (low, header.maximum, high))))
    return [Bounds(b.low, max(b.low, b.head), b.high) for b in out]


def _padding(table: Table) -> int:
    return table.padding[1] + table.padding[3]


def _chrome(table: Table, columns: int) -> int:
    """The width of a table's borders around and between ``columns`` columns."""
    if not table.box:
        return 0
    return (2 if table.show_edge else 0) + columns - 1


def _groups(table: Table, lows: list[int], keys: int, room: int) -> list[list[int]]:
    """The value columns (after the ``keys``) in as few runs as fit beside the keys, the runs
    as even as they can be; a column that cannot fit even alone is a run of its own, left to
    rich."""
    values = list(range(keys, len(lows)))
    greedy: list[list[int]] = [[]]
    for index in values:
        if greedy[-1] and not _fits(table, lows, [*range(keys), *greedy[-1], index], room):
            greedy.append([])
        greedy[-1].append(index)
    size = -(-len(values) // len(greedy))  # the fewest columns a run, rounded up
    even = [values[i : i + size] for i in range(0, len(values), size)] or [[]]
    fitting = len(even) == len(greedy)
    return (
        even
        if fitting and all(_fits(table, lows, [*range(keys), *g], room) for g in even)
        else greedy
    )


def _fits(table: Table, lows: list[int], indices: list[int], room: int) -> bool:
    """Whether these columns' longest words fit side by side in ``room``."""
    return sum(lows[i] for i in indices) + _chrome(table, len(indices)) <= room


def _widths(bounds: list[Bounds], room: int) -> list[int]:
    """Each column's width: its longest word, then the narrowest columns widened in turn
    toward their longest line, so that what must wrap wraps evenly."""
    widths = [b.low for b in bounds]
    for _ in range(room - sum(widths)):
        wanting = [k for k, b in enumerate(bounds) if widths[k] < b.high]
        if not wanting:
            break
        widths[min(wanting, key=lambda i: widths[i])] += 1
    return widths


def _part(table: Table, widths: dict[int, int], first: bool, last: bool) -> Table:
    """A copy of ``table`` with these columns (by index) at these widths, padding included:
    the title on the first part only, the caption on the last."""
    part = copy.copy(table)
    part.columns = [
        dataclasses.replace(table.columns[i], width=width - _padding(table), _index=position)
        for position, (i, width) in enumerate(widths.items())
    ]
    part.title = table.title if first else "(continued)"
    part.caption = table.caption if last else None
    return part
