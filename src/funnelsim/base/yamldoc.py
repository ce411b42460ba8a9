"""YAML input files: safe loading, the line of every key, and pydantic errors said plainly.

Scenario files and experiment files share this: both report a problem as the file, the line
and the dotted key path of the value at fault, with what was expected.
"""

from __future__ import annotations

import functools
import math
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pydantic
import yaml

from funnelsim.base.suggest import did_you_mean
from funnelsim.errors import Problem, ScenarioError

Key = tuple[str | int, ...]
Origin = tuple[str, int | None]


MAX_DEPTH = 40
"""The deepest nesting an input may have, aliases followed: scenarios need fewer than ten."""
MAX_VALUES = 100_000
"""The most values an input may hold, aliases expanded: a scenario holds about a thousand."""


class TooLarge(yaml.MarkedYAMLError):
    """An input refused for its size (nesting, or aliases that multiply it), not its syntax."""


class Loader(yaml.SafeLoader):
    """Safe YAML that keeps mapping keys as written and leaves dates to the schema.

    Keys stay text (``60:`` is the key "60", ``yes:`` is "yes"), so the line index and the
    data agree on every key; a date stays a string until the schema parses it, so a date that
    does not exist is reported at its key instead of crashing the parser.

    Each node's size and depth, aliases expanded, are counted as it is composed, from its
    children's: an input nested past :data:`MAX_DEPTH` or expanding past :data:`MAX_VALUES`
    (an alias bomb) is refused at once, before anything walks it.
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self.depth = 0
        self.extent: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth) expanded

    def fetch_flow_collection_start(self, token_class: type) -> None:
        """Refuse deep ``[[[...`` as it is scanned: the scanner's lookahead grows with it."""
        if self.flow_level >= MAX_DEPTH:
            self._refuse(f"nested deeper than {MAX_DEPTH} levels", self.get_mark())
        super().fetch_flow_collection_start(token_class)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = self.anchors.get(event.anchor)
            if node is not None and id(node) not in self.extent:
                raise TooLarge(
                    None, None, "an alias refers to a value that holds it", event.start_mark
                )
            return super().compose_node(parent, index)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                self._refuse(f"nested deeper than {MAX_DEPTH} levels", self.peek_event().start_mark)
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        self._measure(node)
        return node

    def _measure(self, node: yaml.Node) -> None:
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = node.value if isinstance(node, yaml.SequenceNode) else []
        extents = [self.extent[id(child)] for child in children]
        values = 1 + sum(v for v, _ in extents)
        depth = 1 + max((d for _, d in extents), default=0)
        if depth > MAX_DEPTH:
            self._refuse(
                f"nested deeper than {MAX_DEPTH} levels (aliases followed)", node.start_mark
            )
        if values > MAX_VALUES:
            self._refuse(f"aliases expand it past {MAX_VALUES:,} values", node.start_mark)
        self.extent[id(node)] = (values, depth)

    @staticmethod
    def _refuse(problem: str, mark: Any) -> None:
        raise TooLarge(None, None, problem, mark)


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(loader: Loader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    return {
        (
            k.value if isinstance(k, yaml.ScalarNode) else loader.construct_object(k, deep=True)
        ): loader.construct_object(v, deep=True)
        for k, v in node.value
    }


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def finite(node: yaml.Node) -> bool:
    """Whether a scalar is anything but a YAML float that is not a number or is infinite
    (``.nan``, ``.inf``, ``-.Inf``, ``1.0e+999``): no input may hold one."""
    if node.tag != "tag:yaml.org,2002:float":
        return True
    text = node.value.replace("_", "").lower().lstrip("+-")
    if text in (".nan", ".inf"):
        return False
    try:
        return math.isfinite(float(text))
    except ValueError:
        return True  # base 60 (1:30.5): a finite number YAML 1.1 allows


def _yaml_error(source: str, exc: yaml.YAMLError) -> ScenarioError:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    reason = getattr(exc, "problem", None) or str(exc)
    if isinstance(exc, TooLarge):
        return ScenarioError([Problem(source, "", f"refused: {reason}", line)])
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None:
        reason += f" ({context} on line {context_mark.line + 1})"
    return ScenarioError([Problem(source, "", f"not valid YAML: {reason}", line)])


class Document:
    """A YAML mapping with the line of every key, as loaded from one file."""

    def __init__(self, path: Path):
        self.source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScenarioError(
                [Problem(self.source, "", f"cannot read file: {exc.strerror}")]
            ) from None
        except UnicodeDecodeError as exc:
            message = f"cannot read file: not UTF-8 text (byte {exc.start})"
            raise ScenarioError([Problem(self.source, "", message)]) from None
        self.lines: dict[Key, int] = {}
        self.problems: list[Problem] = []
        loader = Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                self._index(node, ())  # before construction: merge keys are not yet copied in
            if self.problems:
                raise ScenarioError(self.problems)
            data = loader.construct_document(node) if node is not None else None
        except yaml.YAMLError as exc:
            raise _yaml_error(self.source, exc) from None
        finally:
            loader.dispose()
        if not isinstance(data, dict):
            found = type(data).__name__ if data is not None else "an empty file"
            raise ScenarioError([Problem(self.source, "", f"expected a mapping, found {found}")])
        self.data: dict[str, Any] = data

    def _index(self, node: yaml.Node, key: Key) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for k, v in node.value:
                line = k.start_mark.line + 1
                if k.tag == "tag:yaml.org,2002:merge":
                    continue  # '<<: *anchor' brings keys in; keys written here override them
                if not isinstance(k, yaml.ScalarNode):
                    path = ".".join(map(str, key)) or "<top level>"
                    message = "expected a plain key (a name), found a list or mapping as a key"
                    self.problems.append(Problem(self.source, path, message, line))
                    continue
                child = (*key, k.value)
                if k.value in seen:
                    path = ".".join(map(str, child))
                    message = f"duplicate key; it is also set on line {seen[k.value]}"
                    self.problems.append(Problem(self.source, path, message, line))
                    continue
                seen[k.value] = line
                self.lines[child] = line
                self._index(v, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                self.lines[(*key, i)] = v.start_mark.line + 1
                self._index(v, (*key, i))
        elif not finite(node):
            path = ".".join(map(str, key)) or "<top level>"
            message = f"expected a finite number, got {node.value}"
            self.problems.append(Problem(self.source, path, message, node.start_mark.line + 1))


def _unwrap(annotation: Any) -> list[Any]:
    """The model classes an annotation may hold (through Optional, list, dict, Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, dict):
        args = typing.get_args(annotation)
        return [c for a in (args[-1:] if origin is dict else args) for c in _unwrap(a)]
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return [annotation]
    return []


def read(path: Path) -> Document:
    """The document at ``path``, parsed once while the file is unchanged.

    Experiments resolve one scenario file at many sweep points; parsing the YAML dominates
    each resolution, so a file is parsed again only when its size or modification time moves.
    Callers copy ``data`` before changing it.
    """
    try:
        stat = path.stat()
    except OSError:
        return Document(path)  # let the document report why the file cannot be read
    return _cached(path, path.absolute(), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _cached(path: Path, _absolute: Path, _mtime_ns: int, _size: int) -> Document:
    return Document(path)


def _allowed_keys(root: type[pydantic.BaseModel], loc: Key) -> list[str]:
    """The keys the schema accepts beside the unknown key at ``loc``."""
    models: list[Any] = [root]
    for part in loc[:-1]:
        nxt = []
        for model in models:
            field = model.model_fields.get(part) if isinstance(part, str) else None
            if field is not None:
                nxt += _unwrap(field.annotation)
            elif not model.model_fields or isinstance(part, int):
                nxt.append(model)
        models = nxt or models
        models = [m for m in models if m is not None]
    keys = {a.alias or n for m in models for n, a in m.model_fields.items()}
    return sorted(keys)


def describe(root: type[pydantic.BaseModel], error: Mapping[str, Any], loc: Key) -> str:
    """What a pydantic error at ``loc`` means, said as what was expected and what was found."""
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(root, loc)
        hint = did_you_mean(loc[-1], allowed)
        return f"unknown key; {hint}expected one of: {', '.join(allowed)}"
    if kind == "missing":
        return "missing required key"
    if kind in ("too_short", "too_long"):
        ctx = error.get("ctx", {})
        bound = (
            ("at least", ctx.get("min_length"))
            if kind == "too_short"
            else ("at most", ctx.get("max_length"))
        )
        return f"expected {bound[0]} {bound[1]} item(s), got {ctx.get('actual_length')}"
    msg = expectation(error)
    value = error.get("input")
    if isinstance(value, (str, int, float, bool)) and "got" not in msg:
        msg += f", got {value!r}"
    return msg


def expectation(error: Mapping[str, Any]) -> str:
    """A pydantic error's message as what was expected: ``expected greater than or equal to
    0``; the same words for a scenario key and a command-line option."""
    msg = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if msg.startswith("Input should be "):
        msg = "expected " + msg.removeprefix("Input should be ")
    return msg if msg.startswith("expected") else f"expected {msg[0].lower()}{msg[1:]}"


def clean_loc(loc: Iterable[Any]) -> Key:
    """Drop pydantic's internal steps (generic-model names, function validators and the
    ``<tag>`` of a discriminated union) from a loc."""
    return tuple(
        p
        for p in loc
        if not (isinstance(p, str) and ("[" in p or p.startswith(("function-", "<"))))
    )


def line_of(lines: Mapping[Key, int], loc: Key) -> int | None:
    """The line of ``loc``, or of its nearest parent that has one."""
    for n in range(len(loc), 0, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def problem_at(source: str, lines: Mapping[Key, int], loc: Key, message: str) -> Problem:
    """A problem at a dotted key path of a file, with the key's line where it is known."""
    return Problem(source, ".".join(map(str, loc)), message, line_of(lines, loc))


def validated(
    model: type[pydantic.BaseModel], data: Any, source: str, lines: Mapping[Key, int]
) -> Any:
    """``model`` validated from ``data``; every problem raised at once, at its line."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = clean_loc(error["loc"])
            problems.append(problem_at(source, lines, loc, describe(model, error, loc)))
        raise ScenarioError(problems) from None
