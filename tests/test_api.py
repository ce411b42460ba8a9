"""The public surface: a curated ``__all__`` and the one-way flow of the modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import funnelsim

PACKAGE = Path(funnelsim.__file__).parent

# The layers, in the order data flows through them: a module imports only from its own layer
# and the layers before it. The ledger (record) is the type the model writes, so it comes
# before the model; results are readers that need nothing but the foundations.
LAYERS = (
    "errors",
    "base",
    "scenario",
    "record",
    "model",
    "runner",
    "results",
    "experiments",
    "sla",
    "analysis",
    "views",
    "cli",
)
ONLY = {
    "results": {"errors", "base", "record", "results"},
    "views": {"errors", "base", "record", "results", "views"},
}
"""Layers held to a narrower rule than their place in the order: results are readers that need
the foundations and the metric registry; views read results, never the model, the scenario's
resolution, experiments or the SLA study."""


def layer_of(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("funnelsim"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("funnelsim"))
    return found


def test_modules_never_import_from_a_later_stage():
    for path in PACKAGE.rglob("*.py"):
        module = "funnelsim." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        layer = layer_of(module)
        if layer not in LAYERS:  # the package's own __init__ and __main__: front ends
            continue
        allowed = ONLY.get(layer, set(LAYERS[: LAYERS.index(layer) + 1]))
        used = {layer_of(name) for name in imports_of(path)} - {""}
        assert used <= allowed, (module, used - allowed)


def test_every_module_belongs_to_a_layer():
    tops = {Path(p.relative_to(PACKAGE).parts[0]).stem for p in PACKAGE.rglob("*.py")}
    assert tops - {"__init__", "__main__"} == set(LAYERS)


def test_reading_results_loads_no_simulator():
    code = "import sys, funnelsim.results; print(sorted(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(ast.literal_eval(out.stdout))
    assert "simpy" not in loaded
    assert not {m for m in loaded if m.startswith(("funnelsim.model", "funnelsim.runner"))}


def test_all_is_curated_and_importable():
    assert sorted(funnelsim.__all__) == funnelsim.__all__
    for name in funnelsim.__all__:
        assert getattr(funnelsim, name) is not None
        if callable(getattr(funnelsim, name)):
            assert getattr(funnelsim, name).__doc__, name


def test_python_dash_m_runs_the_command_line():
    out = subprocess.run(
        [sys.executable, "-m", "funnelsim", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0
    for command in ("run", "validate", "calibrate", "compare", "sweep", "plot", "report"):
        assert command in out.stdout
