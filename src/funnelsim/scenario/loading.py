"""Reading scenario files: YAML in, a validated :class:`Scenario` out, or every problem at once.

A scenario resolves in three layers, each remembered with where it came from so that an error
can name the file and line that set the bad value:

1. the scenario file;
2. the pipeline open on a date (``--pipeline``), a file of its own that sets ``pipeline``,
   and with it the ``start_date`` and ``horizon`` that warm the run up to that date;
3. a policy overlay, named in the file's ``policies`` section or given as a file of its own,
   deep-merged (mappings merge key by key, anything else is replaced);
4. overrides, ``dotted.path=value`` (``--set`` on the command line), values read as YAML
   scalars.

A problem an override caused names it as its source (``override sdr.headcount``), never the
command line's option: the command line says ``--set`` itself.
"""

from __future__ import annotations

import copy
import importlib.resources
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pydantic
import yaml

from funnelsim.base.bundled import bundled, find
from funnelsim.base.mapping import deep_merge
from funnelsim.base.suggest import did_you_mean
from funnelsim.base.yamldoc import Document, Key, Loader, Origin, clean_loc, describe, read
from funnelsim.errors import Problem, ScenarioError
from funnelsim.scenario.schema import Scenario

BUNDLED = Path(str(importlib.resources.files("funnelsim.scenario") / "bundled"))
"""The folder of the scenarios shipped with funnelsim."""
OVERRIDE = "override"
"""The source a problem names when an override caused it: ``override sdr.headcount``."""


def bundled_scenario(name: str = "reference") -> Path:
    """Path of a scenario shipped with funnelsim."""
    return bundled(name, BUNDLED, "scenario")


def scenario_file(path: str | Path | None) -> Path:
    """The file a scenario argument names: a path, or a bundled scenario's name (``smb_velocity``).

    A path that exists always wins; anything else is an error naming the bundled scenarios.
    """
    return bundled_scenario() if path is None else find(path, BUNDLED, "scenario")


def source_of(path: Path) -> str:
    """How problems name a scenario file: as given, and a bundled one by its name, never
    by where the package happens to be installed."""
    return f"bundled {path.name}" if path.parent == BUNDLED else str(path)


def overridden(problem: Problem) -> str | None:
    """The dotted key of the override that caused ``problem``; None when a file did."""
    if not problem.source.startswith(f"{OVERRIDE} "):
        return None
    return problem.source.removeprefix(f"{OVERRIDE} ")


class _Layers:
    """The merged scenario data and the origin (file, line) of every key in it."""

    def __init__(self, doc: Document, source: str):
        self.data = copy.deepcopy(doc.data)
        self.origins: dict[Key, Origin] = {k: (source, n) for k, n in doc.lines.items()}
        self.default_source = source

    def overlay(self, patch: Mapping, origins: Mapping[Key, Origin]) -> None:
        """Merge ``patch`` in; keys it replaces wholesale forget their old origins."""
        replaced = [k for k in origins if not isinstance(_get(patch, k), Mapping)]
        self.origins = {
            key: origin
            for key, origin in self.origins.items()
            if not any(len(key) > len(r) and key[: len(r)] == r for r in replaced)
        }
        deep_merge(self.data, patch)
        self.origins.update(origins)

    def where(self, key: Key) -> Origin:
        for n in range(len(key), 0, -1):
            if key[:n] in self.origins:
                return self.origins[key[:n]]
        return (self.default_source, None)


def _get(data: Any, key: Key) -> Any:
    for part in key:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _parse_override(text: str) -> tuple[Key, Any]:
    path, sep, raw = text.partition("=")
    if not sep or not path.strip():
        raise ScenarioError(
            [Problem(OVERRIDE, text, "expected dotted.path=value, e.g. sdr.headcount=12")]
        )
    try:
        value = yaml.load(raw, Loader=Loader) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return _split(path), value


def parse_overrides(texts: Iterable[str]) -> dict[str, Any]:
    """``dotted.path=value`` texts as a mapping of dotted key to value; raise on a malformed
    one."""
    return {".".join(map(str, key)): value for key, value in map(_parse_override, texts)}


def _split(path: str) -> Key:
    return tuple(int(p) if p.isdigit() else p for p in path.strip().split("."))


def _override(data: dict, key: Key, value: Any, label: str) -> tuple[dict, Key]:
    """The patch that sets ``key`` to ``value``, and the key the override now answers for.

    Numbers index lists (``stages.0.advance``) and name keys elsewhere. A path through a value
    that is not a mapping replaces that value, so errors under it are the override's.
    """
    path: list[str | int] = []  # the key as the data spells it
    owned: Key | None = None

    def build(node: Any, depth: int) -> Any:
        nonlocal owned
        if depth == len(key):
            return value
        part = key[depth]
        if isinstance(node, list):
            if not (isinstance(part, int) and 0 <= part < len(node)):
                where = ".".join(map(str, (*path, part)))
                message = f"index {part} is out of range: the list has {len(node)} item(s)"
                raise ScenarioError([Problem(label, where, message)])
            path.append(part)
            items = copy.deepcopy(node)
            built = build(node[part], depth + 1)
            if isinstance(items[part], dict) and isinstance(built, dict):
                deep_merge(items[part], built)  # stages.0.advance edits the stage, keeps the rest
            else:
                items[part] = built
            return items
        if node is not None and not isinstance(node, dict) and owned is None:
            owned = tuple(path)  # a plain value becomes a mapping: the override owns it all
        path.append(str(part))
        child = node.get(str(part)) if isinstance(node, dict) else None
        if child is None and owned is None and depth + 1 < len(key):
            owned = tuple(path)  # a key the data lacks: the override wrote it, typo or not
        return {str(part): build(child, depth + 1)}

    patch = build(data, 0)
    return patch, owned if owned is not None else tuple(path)


def _merged(base: dict, patch: Mapping) -> dict:
    out = copy.deepcopy(base)
    deep_merge(out, patch)
    return out


def _unknown_names(layers: _Layers) -> list[Problem]:
    """Names of things the scenario does not define (checked on raw data, each at its key):
    segments in a source's segment mix, sources in the cost's program spend, and the
    source, segment and stage of each open deal."""
    data = layers.data
    segments, sources = _section(data, "segments"), _section(data, "sources")
    named = [
        (("sources", name, "segment_mix", seg), seg, "segment", "segments", segments)
        for name, source in sources.items()
        for seg in _section(source, "segment_mix")
    ]
    named += [
        (("cost", "programs", name), name, "source", "sources", sources)
        for name in _section(_section(data, "cost"), "programs")
    ]
    named += _pipeline_names(data, segments, sources)
    problems = []
    for key, name, kind, kinds, defined in named:
        if name not in defined:
            source_file, line = layers.where(key)
            expected = ", ".join(map(str, defined)) or "none defined"
            message = f"unknown {kind} {name!r}; expected one of the {kinds}: {expected}"
            problems.append(Problem(source_file, ".".join(map(str, key)), message, line))
    return problems


def _pipeline_names(data: dict, segments: dict, sources: dict) -> list[tuple]:
    """The names each open deal uses: its source, its segment, and a stage of that segment."""
    pipeline = data.get("pipeline")
    deals = pipeline.get("deals") if isinstance(pipeline, dict) else None
    named = []
    for k, deal in enumerate(deals if isinstance(deals, list) else []):
        if not isinstance(deal, dict):
            continue
        for field, defined in (("source", sources), ("segment", segments)):
            if isinstance(deal.get(field), str):
                key = ("pipeline", "deals", k, field)
                named.append((key, deal[field], field, f"{field}s", defined))
        named_segment = deal.get("segment")
        segment = segments.get(named_segment) if isinstance(named_segment, str) else None
        stages = segment.get("stages") if isinstance(segment, dict) else None
        if isinstance(deal.get("stage"), str) and isinstance(stages, list):
            names = [s.get("name") for s in stages if isinstance(s, dict)]
            kinds = f"stages of segment {deal['segment']}"
            named.append((("pipeline", "deals", k, "stage"), deal["stage"], "stage", kinds, names))
    return named


def _section(data: Any, key: str) -> dict:
    """``data[key]`` when both are mappings, else nothing: the schema reports what is wrong."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _validate(layers: _Layers, overrides: dict[str, Any]) -> Scenario:
    """The scenario, remembering the overrides as given (outside its content and its hash)."""
    problems = _unknown_names(layers)
    try:
        scenario = Scenario.model_validate({**layers.data, "overrides": overrides})
    except pydantic.ValidationError as exc:
        overrides = [k for k, (source, _) in layers.origins.items() if source.startswith(OVERRIDE)]
        for error in exc.errors():
            loc = clean_loc(error["loc"])
            source, line = layers.where(loc)
            path = ".".join(str(p) for p in loc)
            message = describe(Scenario, error, loc)
            below = [k for k in overrides if len(k) > len(loc) and k[: len(loc)] == loc]
            if below and not source.startswith(OVERRIDE):  # a cross-key check an override broke
                keys = ", ".join(".".join(map(str, k)) for k in below)
                message += f" (after {OVERRIDE} {keys})"
            problems.append(Problem(source, path, message, line))
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: (p.source, p.line or 0)))
    return scenario


def _policy_layer(layers: _Layers, policy: str) -> tuple[dict, dict[Key, Origin], str]:
    inline = layers.data.get("policies") or {}
    if isinstance(inline, dict) and policy in inline:
        patch = inline[policy]
        if not isinstance(patch, dict):
            source, line = layers.where(("policies", policy))
            raise ScenarioError([Problem(source, f"policies.{policy}", "expected a mapping", line)])
        prefix = ("policies", policy)
        origins = {k[2:]: o for k, o in layers.origins.items() if k[:2] == prefix and len(k) > 2}
        return patch, origins, policy
    path = Path(policy)
    if path.suffix in (".yaml", ".yml") or path.exists():
        doc = read(path)
        return doc.data, {k: (doc.source, n) for k, n in doc.lines.items()}, path.stem
    names = list(inline) if isinstance(inline, dict) else []
    hint = did_you_mean(policy, names)
    known = ", ".join(names) or "none defined"
    message = (
        f"unknown policy {policy!r}; {hint}expected a policy file "
        f"or one of the scenario's policies: {known}"
    )
    raise ScenarioError([Problem(layers.default_source, "policies", message)])


PIPELINE_KEYS = ("start_date", "horizon", "pipeline")
"""What a pipeline file may set: the deals, and the date and horizon they belong to."""


def _pipeline_layer(path: str | Path) -> tuple[dict, dict[Key, Origin]]:
    """A pipeline file's data and origins; any key but :data:`PIPELINE_KEYS` is an error."""
    doc = read(Path(path))
    data = doc.data if isinstance(doc.data, dict) else None
    if data is None or "pipeline" not in data:
        raise ScenarioError([Problem(doc.source, "pipeline", "expected a mapping with a pipeline")])
    problems = [
        Problem(
            doc.source,
            str(key),
            f"a pipeline file sets only {', '.join(PIPELINE_KEYS)}; set the rest in the scenario",
            doc.lines.get((key,)),
        )
        for key in data
        if key not in PIPELINE_KEYS
    ]
    if problems:
        raise ScenarioError(problems)
    return data, {k: (doc.source, n) for k, n in doc.lines.items()}


_LOADER_KEYS = {
    "policy": "is set by --policy, never in a file; name the policy with --policy",
    "overrides": "records the --set overrides, never set in a file; set the keys themselves",
}
"""Keys the loader writes, with what a file that sets one is told."""


def resolve(
    path: str | Path | None = None,
    policy: str | None = None,
    overrides: Iterable[str] | Mapping[str, Any] | None = None,
    pipeline: str | Path | None = None,
) -> tuple[dict[str, Any], Scenario]:
    """Merge the layers and validate; return the merged data and the scenario."""
    file = scenario_file(path)
    layers = _Layers(read(file), source_of(file))
    if pipeline is not None:
        layers.overlay(*_pipeline_layer(pipeline))
    name = None
    if policy is not None:
        patch, origins, name = _policy_layer(layers, policy)
        layers.overlay(patch, origins)
    pairs = (
        [(_split(k), v) for k, v in overrides.items()]
        if isinstance(overrides, Mapping)
        else [_parse_override(o) for o in overrides or ()]
    )
    for key, value in pairs:
        label = f"{OVERRIDE} " + ".".join(map(str, key))
        patch, owned = _override(layers.data, key, value, label)
        layers.overlay(patch, {owned: (label, None)})
    for key, message in _LOADER_KEYS.items():
        if key in layers.data:
            source, line = layers.where((key,))
            raise ScenarioError([Problem(source, key, message, line)])
    if name is not None:
        layers.data["policy"] = name
    given = {".".join(map(str, key)): value for key, value in pairs}
    return layers.data, _validate(layers, given)


def load_scenario(
    path: str | Path | None = None,
    policy: str | None = None,
    overrides: Iterable[str] | Mapping[str, Any] | None = None,
    pipeline: str | Path | None = None,
) -> Scenario:
    """Load, merge and validate a scenario; raise :class:`ScenarioError` listing every problem.

    ``path`` None loads the bundled reference scenario. ``policy`` is the name of a policy in
    the file's ``policies`` section or the path of a policy file. ``overrides`` are
    ``"dotted.path=value"`` strings or a mapping of dotted paths to values. ``pipeline`` is a
    file of the deals open at the start (``funnelsim fit`` writes one).
    """
    return resolve(path, policy, overrides, pipeline)[1]


def validate_policies(
    path: str | Path | None = None, pipeline: str | Path | None = None
) -> dict[str, Scenario]:
    """Every policy of a scenario file resolved and validated (from the ``pipeline`` file, if
    given), all problems gathered."""
    base = load_scenario(path, pipeline=pipeline)
    resolved, problems = {}, []
    for name in base.policies:
        try:
            resolved[name] = load_scenario(path, policy=name, pipeline=pipeline)
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    return resolved
