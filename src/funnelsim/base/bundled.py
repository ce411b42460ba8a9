"""Files shipped inside the package (scenarios, experiments, SLA proposals), found by name.

Every command that takes such a file takes a path or a bundled name, and when neither exists
says which bundled files there are, the same way for each kind.
"""

from __future__ import annotations

from pathlib import Path

from funnelsim.errors import Problem, ScenarioError


def names(folder: Path) -> list[str]:
    """The bundled files of ``folder`` by the names a command takes: ``reference``, ..."""
    return sorted(p.stem for p in folder.glob("*.yaml"))


def missing(given: str | Path, folder: Path, kind: str) -> ScenarioError:
    """The error for a file that is neither there nor bundled, naming the bundled ones."""
    message = f"no such file, nor a bundled {kind} (bundled: {', '.join(names(folder))})"
    return ScenarioError([Problem(str(given), "", message)])


def bundled(name: str, folder: Path, kind: str) -> Path:
    """The bundled file ``name`` (without ``.yaml``) of ``folder``."""
    found = folder / f"{name}.yaml"
    if Path(name).name != name or not found.is_file():
        raise missing(name, folder, kind)
    return found


def find(given: str | Path, folder: Path, kind: str) -> Path:
    """A file as given when it exists, else the bundled file of that bare name.

    A path that exists always wins, so a local ``reference.yaml`` is read rather than the
    bundled one; a name with a folder or a suffix is never looked up among the bundled files.
    """
    path = Path(given)
    if path.exists():
        return path
    if path.suffix or path.parent != Path("."):
        raise missing(given, folder, kind)
    return bundled(str(given), folder, kind)
