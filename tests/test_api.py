"""The public surface: a curated ``__all__`` and the one-way flow of the modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import funnelsim

PACKAGE = Path(funnelsim.__file__).parent

# Each module may import only from modules earlier in the flow of data: scenario -> model ->
# ledger -> metrics -> runner -> experiments -> analysis and presentation -> command line.
PRESENTATION = {"calibration", "render", "render_experiments", "plots", "report", "cli"}
NEVER_IMPORTS = {
    "funnelsim.yamldoc": {"scenario", "model", "ledger", "metrics", "runner", "experiments"}
    | PRESENTATION,
    "funnelsim.scenario": {"model", "ledger", "metrics", "runner", "experiments"} | PRESENTATION,
    "funnelsim.model": {"metrics", "runner", "experiments"} | PRESENTATION,
    "funnelsim.ledger": {"model", "metrics", "runner", "experiments"} | PRESENTATION,
    "funnelsim.metrics": {"model", "runner", "experiments"} | PRESENTATION,
    "funnelsim.runner": {"experiments"} | PRESENTATION,
    "funnelsim.experiments": PRESENTATION | {"sla"},
    "funnelsim.sla": {"model", "render_sla"} | PRESENTATION,
    "funnelsim.calibration": PRESENTATION - {"calibration"},
    "funnelsim.render": {"model", "cli"},
    "funnelsim.render_experiments": {"model", "plots", "report", "cli"},
    "funnelsim.plots": {"model", "runner", "render", "render_experiments", "report", "cli"},
    "funnelsim.report": {"model", "runner", "cli"},
}


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
        for prefix, forbidden in NEVER_IMPORTS.items():
            if module == prefix or module.startswith(prefix + "."):
                stages = {name.split(".")[1] for name in imports_of(path) if "." in name}
                assert not stages & forbidden, (module, stages & forbidden)


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
