"""Small modules and short functions: a newcomer reads a room of the code at a time."""

from __future__ import annotations

import ast
import statistics
from pathlib import Path

import funnelsim

PACKAGE = Path(funnelsim.__file__).parent


def function_lengths() -> list[int]:
    lengths = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lengths.append(node.end_lineno - node.lineno + 1)
    return sorted(lengths)


def test_no_module_is_over_400_lines():
    sizes = {p.relative_to(PACKAGE): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert not {path: n for path, n in sizes.items() if n > 400}


def test_functions_are_short_typically_and_at_the_ninetieth_percentile():
    lengths = function_lengths()
    assert statistics.median(lengths) <= 8
    assert lengths[int(0.9 * len(lengths))] <= 25
